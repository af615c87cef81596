"""``Batcher``: calls that come while one batch is on its way share the next one."""

import asyncio

import pytest

from gameplatform.core.errors import Unavailable
from gameplatform.data.batching import Batcher


class Writes:
    """A ``run_many`` that records each batch and takes a while, as a database transaction does."""

    def __init__(self, refuse=()) -> None:
        self.batches: list[list] = []
        self.refuse = set(refuse)

    async def __call__(self, items: list) -> list:
        self.batches.append(list(items))
        await asyncio.sleep(0.01)
        if self.refuse & set(items):
            raise ValueError(f"refused {sorted(self.refuse & set(items))}")
        return [item * 10 for item in items]


async def test_a_lone_call_goes_at_once_in_a_batch_of_its_own():
    writes = Writes()
    batcher = Batcher(writes)
    assert await asyncio.wait_for(batcher.submit(1), 1) == 10
    assert writes.batches == [[1]]


async def test_calls_made_while_a_batch_runs_go_together_in_the_next_each_with_its_own_outcome():
    writes = Writes()
    batcher = Batcher(writes)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)  # the first batch is on its way
    rest = [asyncio.create_task(batcher.submit(n)) for n in (2, 3, 4)]
    assert await asyncio.gather(first, *rest) == [10, 20, 30, 40]
    assert writes.batches == [[1], [2, 3, 4]]


async def test_an_item_the_batch_refuses_fails_its_own_caller_only():
    writes = Writes(refuse={3})
    batcher = Batcher(writes)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(batcher.submit(n)) for n in (2, 3, 4)]
    outcomes = await asyncio.gather(first, *rest, return_exceptions=True)
    assert outcomes[:2] == [10, 20] and outcomes[3] == 40
    assert isinstance(outcomes[2], ValueError)
    assert writes.batches == [[1], [2, 3, 4], [2], [3], [4]]  # the batch failed, then each alone


async def test_a_caller_that_gives_up_leaves_the_others_their_outcomes():
    writes = Writes()
    batcher = Batcher(writes)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    gone, kept = asyncio.create_task(batcher.submit(2)), asyncio.create_task(batcher.submit(3))
    await asyncio.sleep(0)
    gone.cancel()
    assert await asyncio.gather(first, kept) == [10, 30]
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await batcher.submit(5) == 50  # and the batcher goes on


async def test_an_outage_fails_every_caller_of_the_batch_at_once_without_trying_each_alone():
    class Away(Writes):
        async def __call__(self, items: list) -> list:
            self.batches.append(list(items))
            raise Unavailable()

    writes = Away()
    batcher = Batcher(writes)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(batcher.submit(n)) for n in (2, 3)]
    outcomes = await asyncio.gather(first, *rest, return_exceptions=True)
    assert all(isinstance(outcome, Unavailable) for outcome in outcomes)
    assert writes.batches == [[1], [2, 3]]

"""``preparedws.deadlines``: many deadlines on one loop timer, each called once, none kept."""

import asyncio
import gc
import logging
import weakref

from preparedws.deadlines import Deadlines

GRAIN = 0.05


class Item:
    def __init__(self, name: str) -> None:
        self.name = name


async def test_each_item_is_called_once_no_earlier_than_its_deadline_and_at_most_a_grain_late():
    loop = asyncio.get_running_loop()
    called: dict[str, float] = {}
    deadlines = Deadlines(loop, lambda item: called.setdefault(item.name, loop.time()), grain=GRAIN)
    start = loop.time()
    items = {name: Item(name) for name in ("a", "b", "c")}
    for name, delay in (("a", 0.2), ("b", 0.05), ("c", 0.1)):
        deadlines.add(items[name], delay)
    await asyncio.sleep(0.4)
    assert set(called) == {"a", "b", "c"}
    for name, delay in (("a", 0.2), ("b", 0.05), ("c", 0.1)):
        assert delay <= called[name] - start <= delay + GRAIN + 0.05  # the loop's own lateness aside
    assert len(deadlines) == 0


async def test_a_discarded_item_is_never_called():
    loop = asyncio.get_running_loop()
    called = []
    deadlines = Deadlines(loop, called.append, grain=GRAIN)
    kept, dropped = Item("kept"), Item("dropped")
    deadlines.add(kept, 0.1)
    deadlines.discard(dropped, deadlines.add(dropped, 0.1))
    deadlines.discard(Item("never added"), None)
    await asyncio.sleep(0.25)
    assert called == [kept]


async def test_a_failing_handler_is_logged_and_the_others_of_its_slot_still_go(caplog):
    loop = asyncio.get_running_loop()
    called = []

    def due(item: Item) -> None:
        called.append(item.name)
        if item.name == "bad":
            raise RuntimeError("boom")

    deadlines = Deadlines(loop, due, grain=GRAIN)
    for name in ("bad", "good", "fine"):
        deadlines.add(Item(name), 0.05)
    with caplog.at_level(logging.ERROR, logger="preparedws.deadlines"):
        await asyncio.sleep(0.2)
    assert sorted(called) == ["bad", "fine", "good"]
    assert "a deadline's handler failed" in caplog.text


async def test_nothing_is_kept_once_every_item_went_or_was_discarded():
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(loop, lambda item: None, grain=GRAIN)
    items = [Item(str(n)) for n in range(1000)]
    slots = [deadlines.add(item, (n % 7) * 0.02) for n, item in enumerate(items)]
    for item, slot in zip(items[::2], slots[::2], strict=True):
        deadlines.discard(item, slot)
    # The same item discarded and added again and again into one future slot: one heap entry.
    again = Item("again")
    for _ in range(100):
        deadlines.discard(again, deadlines.add(again, 0.1))
    assert len(deadlines.slots) <= 8
    await asyncio.sleep(0.35)
    assert (len(deadlines), deadlines.buckets, deadlines.slots, deadlines.queued) == (0, {}, [], set())
    assert deadlines.timer is None


async def test_the_timer_stops_when_the_last_item_is_discarded():
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(loop, lambda item: None, grain=GRAIN)
    items = [Item(str(n)) for n in range(3)]
    slots = [deadlines.add(item, 60 + n) for n, item in enumerate(items)]
    assert deadlines.timer is not None
    for item, slot in zip(items, slots, strict=True):
        deadlines.discard(item, slot)
    assert (len(deadlines), deadlines.buckets, deadlines.slots, deadlines.queued) == (0, {}, [], set())
    assert deadlines.timer is None


def test_a_loops_deadlines_go_with_their_loop_once_their_items_are_gone():
    per_loop_deadlines = weakref.WeakKeyDictionary()

    async def made() -> None:
        loop = asyncio.get_running_loop()
        deadlines = per_loop_deadlines[loop] = Deadlines(loop, lambda item: None, grain=GRAIN)
        item = Item("closed before its loop")
        deadlines.discard(item, deadlines.add(item, 60))

    loop = asyncio.new_event_loop()
    loop.run_until_complete(made())
    loop.close()
    del loop
    gc.collect()
    assert len(per_loop_deadlines) == 0

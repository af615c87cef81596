"""Calls that arrive while one is on its way go together in the next: one unit of work for many.

A server's rooms end and start many games a second, and each end used to be a database
transaction of its own on a worker thread: its cost (the hand-over to the thread, the
connection, the ORM building each query) was paid once per game. ``Batcher`` pays it once per
batch instead. It starts a batch at once when nothing is on its way, so a lone call waits no
longer than before; the calls that come meanwhile wait for that batch to finish and then go
together. Under load a batch holds as many calls as came during one write.

``run_many(items)`` gets the items in the order they came and returns one outcome per item, in
that order. When a batch of several fails, each item is tried again alone, so one item the
database refuses (a constraint, a hook that raises) fails only its own caller; unless the failure
is an outage (the database or Redis cannot be reached, ``errors.is_outage``): then every caller of
the batch gets it at once, rather than each waiting out the outage in turn.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from gameplatform.core.errors import is_outage

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """``await batcher.submit(item)``: its outcome, from a batch shared with the calls of the moment.

    One batch at a time, per event loop that uses it: build one per process (``per_loop``).
    """

    def __init__(self, run_many: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self.run_many = run_many
        self.pending: list[tuple[T, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.pending.append((item, done))
        if self.task is None:
            self.task = loop.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending, []
                await self._run(batch)
        finally:
            self.task = None
            for _, done in self.pending:  # the loop is stopping: nobody runs these
                done.cancel()
            self.pending = []

    async def _run(self, batch: list[tuple[T, asyncio.Future]]) -> None:
        try:
            outcomes = await self.run_many([item for item, _ in batch])
        except asyncio.CancelledError:
            for _, done in batch:
                done.cancel()
            raise
        except Exception as exc:
            if len(batch) > 1 and not is_outage(exc):  # each alone: only the item that fails fails
                for one in batch:
                    await self._run([one])
                return
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        for (_, done), outcome in zip(batch, outcomes, strict=True):
            if not done.done():  # its caller may have been cancelled meanwhile
                done.set_result(outcome)

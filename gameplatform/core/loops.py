"""One object per running event loop: the process's hub, presence tracker, room host.

A server process has one event loop; tests run one loop per test. Objects that
hold tasks, locks or futures belong to the loop that made them, so they are
kept per loop and dropped with it.
"""

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def per_loop(factory: Callable[[], T]) -> Callable[[], T]:
    """A getter that returns the running loop's object, made by ``factory`` on first use."""
    made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get() -> T:
        loop = asyncio.get_running_loop()
        found = made.get(loop)
        if found is None:
            found = made[loop] = factory()
        return found

    get.clear = made.clear  # every loop makes a new one on next use (tests that change settings)
    return get

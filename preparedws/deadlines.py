"""Many deadlines, one timer: what every open socket waits for (its next ping, its pong, its token's
expiry) without a timer of its own.

A loop timer (``loop.call_later``) is a handle, a bound method and an arguments tuple: about half a
KiB each, and a socket held two for as long as it was open. ``Deadlines`` keeps each item in the
bucket of the ``grain``-wide slot its deadline falls in, a set per slot, and runs one loop timer for
the earliest slot: an item costs its place in a set, and is called at most one ``grain`` late.
Each event loop has its own (a server runs one loop, tests many); it goes with its loop once it
holds nothing (while an item is due, its timer holds the loop).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import weakref
from collections.abc import Callable, Hashable

logger = logging.getLogger(__name__)


class Deadlines:
    """Items due at a time, each handed to ``due`` once its slot has come (in no order within a slot).

    ``add`` returns the item's slot, which its owner keeps to ``discard`` it. An item is in at most
    one slot at a time: its owner discards it before adding it again. ``due`` raising is logged and
    the rest of the slot still goes."""

    __slots__ = ("__weakref__", "loop", "due", "grain", "buckets", "slots", "queued", "timer", "timer_slot")

    def __init__(self, loop: asyncio.AbstractEventLoop, due: Callable[[Hashable], None], *, grain: float) -> None:
        self.loop = weakref.ref(loop)  # not the loop itself: ``per_loop`` keys it weakly
        self.due = due
        self.grain = grain
        self.buckets: dict[int, set] = {}
        # The slots the timer still has to reach, a heap and the same as a set (a slot is in it once,
        # whatever its bucket's items came and went): as many as there are slots ahead, no more.
        self.slots: list[int] = []
        self.queued: set[int] = set()
        self.timer: asyncio.TimerHandle | None = None
        self.timer_slot: int | None = None

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self.buckets.values())

    def add(self, item: Hashable, delay: float) -> int:
        """``item`` is due in ``delay`` seconds (rounded up to the slot's end): its slot."""
        slot = math.ceil((self.loop().time() + max(delay, 0.0)) / self.grain)
        bucket = self.buckets.get(slot)
        if bucket is None:
            bucket = self.buckets[slot] = set()
            if slot not in self.queued:
                self.queued.add(slot)
                heapq.heappush(self.slots, slot)
        bucket.add(item)
        if self.timer_slot is None or slot < self.timer_slot:
            self._arm(slot)
        return slot

    def discard(self, item: Hashable, slot: int | None) -> None:
        """``item`` is no longer due (``slot``: what ``add`` returned; None does nothing)."""
        if slot is None:
            return
        bucket = self.buckets.get(slot)
        if bucket is not None:
            bucket.discard(item)
            if not bucket:
                del self.buckets[slot]  # its slot leaves the heap when the timer reaches it
                if not self.buckets:  # nothing left: no timer either (it holds the loop)
                    self._idle()

    def _idle(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.timer_slot = None
        self.slots, self.queued = [], set()

    def _arm(self, slot: int) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer_slot = slot
        self.timer = self.loop().call_at(slot * self.grain, self._fire)

    def _fire(self) -> None:
        # The loop may run a timer a clock tick early: the slot it was armed for has come.
        reached = max(self.timer_slot, math.floor(self.loop().time() / self.grain))
        self.timer = self.timer_slot = None
        slots = self.slots
        while slots and (slots[0] <= reached or slots[0] not in self.buckets):  # due, or emptied by discards
            slot = heapq.heappop(slots)
            self.queued.discard(slot)
            for item in self.buckets.pop(slot, None) or ():
                try:
                    self.due(item)
                except Exception:
                    logger.exception("a deadline's handler failed")
        if slots:
            self._arm(slots[0])

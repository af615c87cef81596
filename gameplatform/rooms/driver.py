"""The driver: one task per process that steps every room when its clock is due (ticks, turn
clocks, timers), from one heap of wakes, not a task per room.

One tick for the whole process: a real-time room's ticks are put on the process's grid of its
tick period (whole multiples of the period on the loop's clock, in ``PHASES`` groups by game id),
so the rooms of one tick rate and group are due at the same instant and one pass steps them
together, in the order of their game ids (the same place in the pass every tick: an even patch
interval), then one write to the store carries their steps and one pass writes their frames.
Without it each room ticked in its own phase (from the moment its game started), and the driver
woke, wrote and sent once per room-tick."""

import asyncio
import heapq
import logging
import math
import time

from gameplatform.rooms.parts import Host

logger = logging.getLogger(__name__)

MAX_SLEEP = 0.05  # the driver's longest sleep (seconds)
# The longest the driver steps rooms before it lets the loop's other work in (frames from sockets,
# lease renewals, deliveries); an overloaded process runs late, it does not stop answering.
PASS_SECONDS = 0.01
STALE_WAKES = 64  # stale entries the driver's heap may hold beyond twice its rooms before it is compacted
# The process's rooms of one tick rate step in this many groups a tick, by game id, each in its own
# share of the period: one pass of all of them at once made a room's patch wait for every room's
# step, write and frames before it (input to visible p50 35 -> 51 ms at 50 arena rooms), where a
# few groups keep most of the batching (one write per group, not per room) at a quarter of the wait.
PHASES = 4
# A wake this close to a grid line (a share of the period) is on it: game time adds up its ticks in
# floating point, so a room on the grid drifts off it by a few ulps, never by this much.
ON_GRID = 1e-6


class Lateness:
    """How late due wakes ran, in a fixed number of buckets: no list that grows per tick.

    Buckets are 0.1 ms wide up to 0.5 s, then one for everything later; a percentile is read
    to within a bucket, the maximum exactly."""

    WIDTH = 0.0001
    BUCKETS = 5000

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.counts = [0] * (self.BUCKETS + 1)
        self.count = 0
        self.max = 0.0

    def add(self, seconds: float) -> None:
        self.counts[min(int(seconds / self.WIDTH), self.BUCKETS)] += 1
        self.count += 1
        if seconds > self.max:
            self.max = seconds

    def at_least(self, seconds: float) -> int:
        """How many wakes ran ``seconds`` late or later (to within a bucket)."""
        return sum(self.counts[min(int(seconds / self.WIDTH), self.BUCKETS) :])

    def percentile(self, q: float) -> float:
        """The ``q`` quantile (0 to 1) in seconds, as the upper edge of its bucket; 0 with no wakes."""
        if not self.count:
            return 0.0
        rank, seen = q * self.count, 0
        for index, n in enumerate(self.counts):
            seen += n
            if seen >= rank and n:
                return min((index + 1) * self.WIDTH, self.max)
        return self.max


def on_grid(at: float, period: float) -> float:
    """The latest whole multiple of ``period`` not after ``at`` (or ``at``'s own, if it lies a hair
    before it): where a wake at ``at`` moves to on the process's grid."""
    return math.floor(at / period + ON_GRID) * period


class Driver:
    """The rooms' clocks: owns the heap of wakes (each room's next tick, turn deadline or timer) and
    how late they ran (``lateness``), and runs the pass that steps the rooms that are due, then
    releases the delayed spectators' frames and has the outbox write what the pass made."""

    def __init__(self, host: Host) -> None:
        self.host = host
        # How late the driver began the pass that stepped each due wake (bench and tests): the rooms
        # of one tick are stepped back to back in a pass, and their place in it is not lateness.
        self.lateness = Lateness()
        # (when on the loop's clock, game id): a heap of tuples, so rooms due at one instant are
        # stepped in the order of their ids
        self._wakes: list[tuple[float, int]] = []

    def queued(self) -> int:
        """How many wakes the heap holds, stale ones included."""
        return len(self._wakes)

    def clear(self) -> None:
        self._wakes.clear()

    def wake_at(self, at: float, game_id: int) -> None:
        """Wake the room at ``at`` (``time.monotonic``) whatever its clock says: an end to record again."""
        heapq.heappush(self._wakes, (at, game_id))

    def schedule(self, game_id: int) -> None:
        """The room's next wake in the heap, unless it is there already (an input changes nothing)."""
        run = self.host.running.get(game_id)
        at = run.room.next_wakeup() if run is not None else None
        if at is None:
            if run is not None:
                run.next_wake = None
            return
        at += run.origin
        rate = run.room.mode.tick_rate
        if rate:
            # On the process's grid: the room's game time moves ahead by what its wake lay past the
            # grid's line before it (less than a tick, once; never back), so it ticks with the
            # others of its phase (its game id's share of the period).
            period = 1.0 / rate
            phase = game_id % PHASES * period / PHASES
            ahead = at - (at := on_grid(at - phase, period) + phase)
            if ahead > 0:
                run.origin -= ahead
        if run.next_wake != at:
            run.next_wake = at
            heapq.heappush(self._wakes, (at, game_id))
            self.compact()

    def compact(self) -> None:
        """Drop the heap's stale wakes (rescheduled, or of rooms gone) once they outnumber the live
        ones: the heap stays within twice the rooms running, whatever their clocks did."""
        running = self.host.running
        if len(self._wakes) <= 2 * len(running) + STALE_WAKES:
            return
        live = []
        for wake in self._wakes:
            run = running.get(wake[1])
            if run is not None and (wake[0] == run.next_wake or run.unrecorded):
                live.append(wake)
        heapq.heapify(live)
        self._wakes = live

    async def run(self) -> None:
        host = self.host
        while not host.stopping:
            if host.out.stalled:
                # The rooms' last steps wait for a store that is away: the rooms take no more until
                # they are written (their wakes wait, and run late after), so the steps and frames
                # waiting in this process stay what they were, however long the store is away.
                await asyncio.sleep(MAX_SLEEP)
                continue
            now = started = time.monotonic()
            stepped = False
            while self._wakes and self._wakes[0][0] <= now and now - started < PASS_SECONDS:
                at, game_id = heapq.heappop(self._wakes)
                run = host.running.get(game_id)
                if run is None:
                    continue
                room = run.room
                if room.over:  # over but not recorded yet: try again
                    if run.unrecorded:
                        host.steps.end_soon(game_id, run, [])
                    continue
                if run.next_wake != at:
                    continue  # rescheduled since (a frame moved the clock): a newer entry stands
                run.next_wake = None  # popped: ``schedule`` below pushes the next one
                self.lateness.add(max(0.0, started - at))  # (due during the pass: on time)
                answers = host.steps.tick(game_id, run)  # the inputs since the last tick, then the tick
                try:
                    due = room.mode.tick_rate == 0 or room.ctx.tick - run.snapshot_tick >= room.mode.snapshot_ticks
                    await host.steps.after_step(game_id, run, snapshot=due, wait=False, answers=answers)
                    stepped = True
                except Exception:
                    if host.stopping:
                        return
                    logger.exception("room step not delivered", extra={"game_id": game_id})
                self.schedule(game_id)
                now = time.monotonic()
            if host.watchers.release(now):
                stepped = True
            if stepped:  # this pass's steps, snapshots and frames: one write, then the frames
                host.out.flush()
            # Until the earliest wake, but never more than MAX_SLEEP: a room made meanwhile gets
            # its first tick or clock within that.
            delay = self._wakes[0][0] - time.monotonic() if self._wakes else MAX_SLEEP
            await asyncio.sleep(max(0.0, min(delay, MAX_SLEEP)))

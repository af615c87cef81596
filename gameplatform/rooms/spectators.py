"""Spectators: who watches each room run here (their sockets, on any process), their first
``game_state``, and the spectators' frames, now or ``Mode.spectator_delay`` seconds behind."""

import logging
import time
from collections import deque
from dataclasses import dataclass, field

from gameplatform.modes.room import SPECTATORS
from gameplatform.rooms.parts import Host
from gameplatform.rooms.records import text
from gameplatform.rooms.server_room import Room
from gameplatform.rooms.wire import Delivery

logger = logging.getLogger(__name__)

# A spectator's socket says it still watches this often (``still_watching``, from any process); one
# not heard from for ``SPECTATOR_TTL_SECONDS`` is forgotten (its process died without an ``unwatch``).
WATCH_RENEW_SECONDS = 20.0
SPECTATOR_TTL_SECONDS = 3 * WATCH_RENEW_SECONDS + 5.0


@dataclass
class Spectators:
    """Who watches a room run here (their sockets, on any process) and, when its mode delays them,
    what is on its way to them. Kept until its last delayed frame is out, past the room's end."""

    delay: float  # seconds behind the players (``Mode.spectator_delay``)
    conns: dict[str, float] = field(default_factory=dict)  # their sockets: when last heard from (monotonic)
    # With a delay: (when due, the frames, the spectators' ``game_state`` after them, the end), in
    # order; what a new spectator is given first (the newest state released); who waits for one.
    queue: deque[tuple[float, tuple[tuple[int, str], ...], str | None, bool]] = field(default_factory=deque)
    state: str | None = None
    waiting: set[str] = field(default_factory=set)


class Watchers:
    """The spectators of every room run here: owns one ``Spectators`` record per watched room
    (``rooms``), takes a socket's ``watch``, renewal and ``unwatch``, forgets the silent ones, and
    sends a step's spectators' frames through the host's outbox, at once or when their delay is up."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.rooms: dict[int, Spectators] = {}  # rooms run here that someone watches

    def count(self, game_id: int) -> int:
        """How many sockets watch the room (the match list's ``spectators``)."""
        watch = self.rooms.get(game_id)
        return len(watch.conns) if watch is not None else 0

    def clear(self) -> None:
        self.rooms.clear()

    def let_go(self, game_id: int) -> None:
        """The room stops running here: its spectators go, unless a delayed end is still on its way."""
        watch = self.rooms.get(game_id)
        if watch is not None and not (watch.queue and watch.queue[-1][3]):  # a delayed end keeps its frames going
            del self.rooms[game_id]

    async def spectate(self, game_id: int, conn: str, watching: bool, *, renew: bool = False) -> bool:
        """A spectator's socket ``conn`` (on any process) starts or stops watching a room run here.
        A new one gets the spectators' ``game_state`` (with a delay, the newest one released, or
        the first once there is one), then the patches all of them get. ``renew``: it still
        watches (every ``WATCH_RENEW_SECONDS``); one the room does not know yet is taken as new.
        False when the room is not run here."""
        out = self.host.out
        run = self.host.running.get(game_id)
        if run is None:
            return False
        room, watch = run.room, self.rooms.get(game_id)
        if not watching:
            if watch is not None:
                self._unwatch(game_id, room, watch, conn)
            return True
        if renew and watch is not None and conn in watch.conns:
            watch.conns[conn] = time.monotonic()
            return True
        if watch is None:
            watch = self.rooms[game_id] = Spectators(delay=room.mode.spectator_delay)
        watch.conns[conn] = time.monotonic()
        try:
            started = None if room.watched else text(room.watch(True))
            state = started or text(room.game_state(SPECTATORS))
        except Exception:  # the mode's spectator_view fails: the spectator gets nothing, the game goes on
            room.watch(bool(room.watched))
            logger.warning("the spectators' view failed", exc_info=True, extra={"game_id": game_id})
            return True
        if not watch.delay:
            out.deliver(game_id, Delivery(((SPECTATORS, state),), watchers=True, conn=conn), True)
        elif watch.state is not None:  # as the spectators are now, ``delay`` seconds behind
            out.deliver(game_id, Delivery(((SPECTATORS, watch.state),), watchers=True, conn=conn), True)
        else:  # the stream starts now: the first state is theirs once it is ``delay`` seconds old
            watch.waiting.add(conn)
            if started is not None:
                watch.queue.append((time.monotonic() + watch.delay, (), started, False))
        await out.sent()
        return True

    def _unwatch(self, game_id: int, room: Room, watch: Spectators, conn: str) -> None:
        watch.conns.pop(conn, None)
        watch.waiting.discard(conn)
        if not watch.conns:
            room.watch(False)  # nobody watches: the room makes no spectators' frames
            if not watch.queue:
                del self.rooms[game_id]

    def forget_silent(self, now: float | None = None) -> int:
        """Forget the spectators not heard from for ``SPECTATOR_TTL_SECONDS`` (their process died
        without telling the room; the listing pass runs this); how many."""
        now = time.monotonic() if now is None else now
        gone = 0
        for game_id, watch in list(self.rooms.items()):
            run = self.host.running.get(game_id)
            for conn, heard in list(watch.conns.items()):
                if now - heard > SPECTATOR_TTL_SECONDS and run is not None:
                    self._unwatch(game_id, run.room, watch, conn)
                    gone += 1
        return gone

    def to_spectators(self, game_id: int, room: Room, frames: list[tuple[int, str]], over: bool = False) -> list:
        """A step's frames: those for everyone and for the spectators go to them (now, or queued
        for their delay); returns the players' (without the spectators')."""
        watch = self.rooms.get(game_id)
        if watch is None or not watch.conns:
            return frames
        theirs = tuple(frame for frame in frames if frame[0] <= 0)
        if not (theirs or over):
            return frames
        if not watch.delay:
            self.host.out.deliver(game_id, Delivery(theirs, over=over, watchers=True), True)
        else:
            try:
                state = text(room.game_state(SPECTATORS)) if room.watched else None
            except Exception:
                state = None
            watch.queue.append((time.monotonic() + watch.delay, theirs, state, over))
        return [frame for frame in frames if frame[0] != SPECTATORS]

    def release(self, now: float) -> bool:
        """The delayed spectators' frames now due go out (the driver's pass); True if any did."""
        out = self.host.out
        released = False
        for game_id, watch in list(self.rooms.items()):
            while watch.queue and watch.queue[0][0] <= now:
                _, frames, state, over = watch.queue.popleft()
                if frames or over:
                    out.deliver(game_id, Delivery(frames, over=over, watchers=True), True)
                if state is not None:
                    watch.state = state
                    for conn in watch.waiting:
                        out.deliver(game_id, Delivery(((SPECTATORS, state),), watchers=True, conn=conn), True)
                    watch.waiting.clear()
                released = True
            if not watch.queue and (not watch.conns or game_id not in self.host.running):
                del self.rooms[game_id]
        return released

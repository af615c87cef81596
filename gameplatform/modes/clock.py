"""A room's time: the ticks of a real-time game, the mode's timers, the turn clock and the grace."""

from gameplatform.modes.api import MAX_TIMERS, Result
from gameplatform.modes.phases import ACTIVE


class Clock:
    """The clock of one room (``room.clock``): what runs when game time moves on.

    It keeps nothing of its own: the time it reads and moves (``ctx.now``, ``ctx.timers``, the
    room's ``turn_deadline``, ``away_since`` and ``seen``) is the room's, in its snapshot, so a
    room rebuilt or restored has its clock where it was."""

    def __init__(self, room) -> None:
        self.room = room

    def run(self, now: float) -> None:
        """Game time is ``now``: run the ticks that are due, the turn clock and the grace."""
        room = self.room
        if room.over:
            return
        ctx, mode = room.ctx, room.mode
        if room.phase == ACTIVE and mode.tick_rate:
            dt = 1.0 / mode.tick_rate
            # One step per due tick, but never a burst: a late room skips ahead (counted by the runtime).
            due = int((now - ctx.now) / dt + 1e-9)
            for _ in range(min(due, 3)):
                ctx.tick += 1
                ctx.now += dt
                room._call(mode.on_tick)
                room.views.dirty = True
                if room.over:
                    return
                self._run_timers()
            if due > 3:
                ctx.now = now
        else:
            ctx.now = max(ctx.now, now)
        self._run_timers()
        self._turn_clock()
        self._expire_absent()

    def _run_timers(self) -> None:
        """The mode's timers that are due, earliest first (a name breaks a tie), while the game is active."""
        room = self.room
        ctx = room.ctx
        for _ in range(MAX_TIMERS):  # a timer may set another one that is due at once: never for ever
            if room.phase != ACTIVE or room.over:
                return
            due = [(at, name) for name, (at, _, _) in ctx.timers.items() if at <= ctx.now + 1e-9]
            if not due:
                return
            _, name = min(due)
            _, data, _ = ctx.timers.pop(name)
            room._call(room.mode.on_timer, name, data)
            if room.mode.tick_rate:
                room.views.dirty = True
            else:
                room._after_frame()

    def next_wakeup(self) -> float | None:
        """When the room next needs ``advance`` (game time), or None while nothing is due."""
        room = self.room
        if room.over:
            return None
        ctx, mode = room.ctx, room.mode
        active = room.phase == ACTIVE
        times = []
        if active and mode.tick_rate:
            times.append(ctx.now + 1.0 / mode.tick_rate)
        if room.turn_deadline is not None and active:
            times.append(room.turn_deadline)
        if ctx.timers and active and not mode.tick_rate:  # a real-time room's run at ticks
            times.append(min(at for at, _, _ in ctx.timers.values()))
        for player_id, since in room.away_since.items():
            if not room.player(player_id).out:
                times.append(since + self._grace_for(player_id))
        return min(times) if times else None

    def _grace_for(self, player_id: int) -> float:
        room = self.room
        return room.grace.reconnect if player_id in room.seen else room.grace.first

    def _turn_clock(self) -> None:
        room = self.room
        if room.turn_deadline is None or room.phase != ACTIVE or room.ctx.now < room.turn_deadline:
            return
        turn = room.ctx.turn
        if turn is None:
            room.turn_deadline = None
            return
        player = room.ctx.player(turn)
        room._emit({"type": "turn_timeout", "user_id": turn})
        if room.mode.turn_timeout == "lose":
            room._eliminate([player])
        else:
            room._call(room.mode.on_turn_timeout, player)
            room._after_frame()
        if room.ctx.turn == turn and not room.over:
            self.arm_turn(None)  # the same player again: a fresh clock

    def arm_turn(self, before: int | None) -> None:
        """The turn is ``ctx.turn`` now (it was ``before``'s): its clock starts, or stops with no turn."""
        room = self.room
        if room.mode.turn_seconds is None or room.phase != ACTIVE:
            return
        if room.ctx.turn is None:
            room.turn_deadline = None
        elif room.ctx.turn != before or room.turn_deadline is None:
            room.turn_deadline = room.ctx.now + room.mode.turn_seconds

    def _expire_absent(self) -> None:
        room = self.room
        ctx = room.ctx
        gone = [
            ctx.player(pid)
            for pid, since in room.away_since.items()
            if ctx.now >= since + self._grace_for(pid) and not ctx.player(pid).out
        ]
        if not gone or room.over:
            return
        if len(gone) == len(ctx.playing):
            for player in gone:
                player.out = True
            room._end(Result(winner=None, reason="abandoned"))
            return
        room._eliminate(gone)

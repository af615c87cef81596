"""A room's time: the ticks of a real-time game, the mode's timers, the turn clock and the grace."""

from gameplatform.modes.api import MAX_TIMERS, Result
from gameplatform.modes.phases import ACTIVE


class Clock:
    """The clock of a room (a mixin of ``Room``): what runs when game time moves on."""

    def _run_clock(self, now: float) -> None:
        """Game time is ``now``: run the ticks that are due, the turn clock and the grace."""
        if self.over:
            return
        if self.phase == ACTIVE and self.mode.tick_rate:
            dt = 1.0 / self.mode.tick_rate
            # One step per due tick, but never a burst: a late room skips ahead (counted by the runtime).
            due = int((now - self.ctx.now) / dt + 1e-9)
            for _ in range(min(due, 3)):
                self.ctx.tick += 1
                self.ctx.now += dt
                self._call(self.mode.on_tick)
                self.views.dirty = True
                if self.over:
                    return
                self._run_timers()
            if due > 3:
                self.ctx.now = now
        else:
            self.ctx.now = max(self.ctx.now, now)
        self._run_timers()
        self._turn_clock()
        self._expire_absent()

    def _run_timers(self) -> None:
        """The mode's timers that are due, earliest first (a name breaks a tie), while the game is active."""
        for _ in range(MAX_TIMERS):  # a timer may set another one that is due at once: never for ever
            if self.phase != ACTIVE or self.over:
                return
            due = [(at, name) for name, (at, _, _) in self.ctx.timers.items() if at <= self.ctx.now + 1e-9]
            if not due:
                return
            _, name = min(due)
            _, data, _ = self.ctx.timers.pop(name)
            self._call(self.mode.on_timer, name, data)
            if self.mode.tick_rate:
                self.views.dirty = True
            else:
                self._after_frame()

    def next_wakeup(self) -> float | None:
        """When this room next needs ``advance`` (game time), or None while nothing is due."""
        if self.over:
            return None
        times = []
        if self.phase == ACTIVE and self.mode.tick_rate:
            times.append(self.ctx.now + 1.0 / self.mode.tick_rate)
        if self.turn_deadline is not None and self.phase == ACTIVE:
            times.append(self.turn_deadline)
        if self.ctx.timers and self.phase == ACTIVE and not self.mode.tick_rate:  # a real-time room's run at ticks
            times.append(min(at for at, _, _ in self.ctx.timers.values()))
        for player_id, since in self.away_since.items():
            if not self.player(player_id).out:
                times.append(since + self._grace_for(player_id))
        return min(times) if times else None

    def _grace_for(self, player_id: int) -> float:
        return self.grace.reconnect if player_id in self.seen else self.grace.first

    def _turn_clock(self) -> None:
        if self.turn_deadline is None or self.phase != ACTIVE or self.ctx.now < self.turn_deadline:
            return
        turn = self.ctx.turn
        if turn is None:
            self.turn_deadline = None
            return
        player = self.ctx.player(turn)
        self._emit({"type": "turn_timeout", "user_id": turn})
        if self.mode.turn_timeout == "lose":
            self._eliminate([player])
        else:
            self._call(self.mode.on_turn_timeout, player)
            self._after_frame()
        if self.ctx.turn == turn and not self.over:
            self._arm_turn_clock(None)  # the same player again: a fresh clock

    def _arm_turn_clock(self, before: int | None) -> None:
        if self.mode.turn_seconds is None or self.phase != ACTIVE:
            return
        if self.ctx.turn is None:
            self.turn_deadline = None
        elif self.ctx.turn != before or self.turn_deadline is None:
            self.turn_deadline = self.ctx.now + self.mode.turn_seconds

    def _expire_absent(self) -> None:
        gone = [
            self.ctx.player(pid)
            for pid, since in self.away_since.items()
            if self.ctx.now >= since + self._grace_for(pid) and not self.ctx.player(pid).out
        ]
        if not gone or self.over:
            return
        if len(gone) == len(self.ctx.playing):
            for player in gone:
                player.out = True
            self._end(Result(winner=None, reason="abandoned"))
            return
        self._eliminate(gone)

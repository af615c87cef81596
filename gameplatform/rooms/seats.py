"""A room's seats and the frames its players send: who holds each seat, a player seated while the
game runs, and one frame applied to the room here."""

import logging
import time

from gameplatform.modes import Invalid, Player, Reject
from gameplatform.modes.commands import (
    PLATFORM_COMMANDS,
    Command,
    Connect,
    Disconnect,
    Forfeit,
    Input,
    Inputs,
    Join,
    PlayerCommand,
    Ready,
    StillWatching,
    Unwatch,
    Watch,
)
from gameplatform.modes.room import ACTIVE, HookFailed, forwarded_key, ref_key
from gameplatform.rooms.forwarding import UNTIL_MARGIN
from gameplatform.rooms.inputs import QueuedInput, inputs_waiting_most
from gameplatform.rooms.parts import Host
from gameplatform.rooms.records import Answers, Running, text
from gameplatform.rooms.server_room import Room
from gameplatform.rooms.wire import HERE, Delivery, Sending

logger = logging.getLogger(__name__)

# The steps after which the room's snapshot is written at once, whatever its mode's pace.
SNAPSHOT_AFTER = (Connect, Disconnect, Ready, Forfeit, *PLATFORM_COMMANDS)


def seat_newcomers(room: Room, players: list[Player], *, now: float | None = None) -> bool:
    """Seat in ``room`` those of ``players`` (the game's seats) it does not have: seats taken
    while their message was on its way, or while no process ran the room. True when it took any."""
    seated = {p.id for p in room.players}
    took = False
    for player in sorted(players, key=lambda p: p.seat):
        if player.id in seated:
            continue
        join = Join(player.id, player.username, player.seat, player.side)
        try:
            room.step(room.ctx.now if now is None else now, join)
        except (Reject, HookFailed) as exc:
            logger.warning(
                "a seat taken in the game's record was refused by its room: %s",
                exc,
                extra={"game_id": room.game_id, "player_id": player.id},
            )
            continue
        took = True
    return took


class Seats:
    """The frames of a room's players, applied here: owns the rule of one socket per seat (the
    newest seat number holds it, the other is told it was replaced), which players' sockets are on
    other processes (``Running.elsewhere``), the seating of players the game's record has and the
    room does not, and the answer to each frame (its ``ack``, its ``error``, a copy taken once)."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def seat_here(self, game_id: int, player_id: int) -> str | None:
        """The mode's name of a game whose room runs here and that ``player_id`` plays: a socket's
        seat check without the database (the room's players are the game's seats). None when the
        room is not here, is over, or has no such player: the database answers then."""
        room = self.host.room(game_id)
        if room is None or room.over or not any(p.id == player_id for p in room.players):
            return None
        return room.mode.name

    async def join(self, game_id: int, player: Player) -> bool:
        """``player`` was seated in the game's record while it runs (the mode's ``join_in_progress``):
        the room seats them too, as a ``join`` step (journalled; the other players get a fresh
        ``game_state``). False when the room does not run here."""
        run = self.host.running.get(game_id)
        if run is None:
            return False
        if seat_newcomers(run.room, [player], now=run.now()):
            await self.host.steps.after_step(game_id, run, snapshot=True, wait=True)
            self.host.driver.schedule(game_id)
        return True

    async def take_seat_number(self, game_id: int, player_id: int) -> int:
        """The number of a new socket of ``player_id``: the room seats the highest it has heard of."""
        return await self.host.store.next_seat_number(game_id, player_id)

    async def apply(self, game_id: int, command: Command, sending: Sending = HERE) -> bool:
        """Apply a command (``gameplatform.modes.commands``) that came as ``sending`` says
        (``Sending``: its socket, seat number, ``ref``...) to a room owned here; False when this
        process does not own it. Returns once the step's frames are out.

        One routing, by the command's kind: a spectator's socket's (``Watch``, ``StillWatching``,
        ``Unwatch``) go to the watchers; ``Inputs`` (the driver's) and the platform's own steps
        from a socket are refused; a player's and the platform's go to the room, in this order:
        a frame the room took already is answered again (``_answer_again``), a socket that does
        not hold its player's seat changes nothing (``_hold_seat``), an input of an active
        real-time room waits for the next tick (``_queue``), and anything else is a step (``_step``)."""
        if sending.until is not None and self._too_late(game_id, command, sending.until):
            return True  # its sender answers it
        match command:
            case Watch() | StillWatching() | Unwatch():
                return await self._spectate(game_id, command, sending)
            case Inputs():
                raise ValueError("Inputs is the driver's step of queued inputs, never a frame")
            case _ if isinstance(command, PLATFORM_COMMANDS) and sending.conn is not None:
                raise ValueError(f"{command!r} is the platform's step, never a socket's frame")
            case Command():
                pass
            case _:  # (an op name, as before commands: refused here, not half-read)
                raise TypeError(f"a command of gameplatform.modes.commands, not {command!r}")
        run = self.host.running.get(game_id)
        if run is None or self.host.draining:  # handing its rooms over: what comes now goes to the next owner
            return False
        player_id = command.player_id if isinstance(command, PlayerCommand) else 0  # 0: the platform's
        if self._took(run, player_id, sending):
            await self._answer_again(game_id, player_id, sending)
            return True
        if isinstance(command, Connect) and not await self._seat_late(game_id, run, player_id):
            return False  # the room left this process while the game's record was read
        if sending.conn is not None and not self._hold_seat(game_id, run, command, sending):
            await self._stale(game_id, sending)
            return True
        self._where(run, command, player_id, sending.here)
        if isinstance(command, Input) and run.room.mode.tick_rate and run.room.phase == ACTIVE:
            await self._queue(game_id, run, command, sending)
        else:
            await self._step(game_id, run, command, player_id, sending)
        return True

    def _too_late(self, game_id: int, command: Command, until: float) -> bool:
        """A forwarded frame that comes too close to when its sender answers it ``unavailable``
        (``UNTIL_MARGIN``) is not taken here, if its room runs here: its sender answers it."""
        if time.time() <= until - UNTIL_MARGIN or self.host.running.get(game_id) is None:
            return False
        logger.info("a forwarded frame came too late to be taken", extra={"game_id": game_id, "op": command.op})
        return True

    async def _spectate(self, game_id: int, command: Command, sending: Sending) -> bool:
        """A spectator's socket starts, renews or stops watching (``Watchers.spectate``); a
        forwarded one gets its receipt."""
        watching, renew = not isinstance(command, Unwatch), isinstance(command, StillWatching)
        taken = await self.host.watchers.spectate(game_id, sending.conn, watching, renew=renew)
        if taken and sending.forwarded is not None:
            self.host.out.deliver(game_id, Delivery(took=(sending.forwarded,), watchers=True), True)
            await self.host.out.sent()
        return taken

    def _took(self, run: Running, player_id: int, sending: Sending) -> bool:
        """Whether the room took this frame already: sent again by the socket's process while the
        room moved (its forwarded id), or by the client after a reconnect (``resent``: its ``ref``)."""
        room = run.room
        if sending.forwarded is not None and room.took(forwarded_key(sending.forwarded)):
            return True
        return sending.resent and room.took(ref_key(player_id, sending.ref))

    async def _answer_again(self, game_id: int, player_id: int, sending: Sending) -> None:
        """A frame taken once already is answered again (``ack`` ``duplicate``), not applied twice."""
        ref, forwarded = sending.ref, sending.forwarded
        reply = () if ref is None else ((player_id, text({"type": "ack", "ref": ref, "duplicate": True})),)
        unsaved = ((player_id, ref),) if reply and not self.host.forwarder.keeps(forwarded) else ()
        took = (forwarded,) if forwarded is not None else ()
        self.host.steps.deliver(game_id, Delivery(reply, took=took, unsaved=unsaved), everywhere=not sending.here)
        await self.host.out.sent()

    async def _seat_late(self, game_id: int, run: Running, player_id: int) -> bool:
        """A ``connect`` of a player the room does not seat: seated in the game's record after the
        room was made, and the word of it has not come yet (the socket checked the seat in the
        database), so the record says who sits. False when the room left this process meanwhile."""
        if any(p.id == player_id for p in run.room.players):
            return True
        seating = await self.host.hooks.seating(game_id)
        if self.host.running.get(game_id) is not run:
            return False
        if seating is not None:
            seat_newcomers(run.room, seating.players, now=run.now())  # goes out with the connect
        return True

    async def _stale(self, game_id: int, sending: Sending) -> None:
        """A stale socket's frame changes nothing; a forwarded one still gets its receipt."""
        if sending.forwarded is not None:
            self.host.out.deliver(game_id, Delivery(took=(sending.forwarded,)), True)
        await self.host.out.sent()

    @staticmethod
    def _where(run: Running, command: Command, player_id: int, here: bool) -> None:
        """Which players' sockets are on other processes (``Running.elsewhere``): a frame that came
        through the game's group puts its player there; a ``connect`` here or a ``disconnect`` ends it."""
        if isinstance(command, Disconnect) or (here and isinstance(command, Connect)):
            run.elsewhere.discard(player_id)
        elif not here:
            run.elsewhere.add(player_id)

    async def _step(self, game_id: int, run: Running, command: Command, player_id: int, sending: Sending) -> None:
        """``command`` as the room's step, after the inputs queued before it (one step, answered
        with this one's frames); then its answer, its journal and snapshot, and its frames out.

        A frame sent with a ``ref`` is answered ``ack`` once taken, after the frames its step
        made: a client knows its move was applied, and that its view already shows it."""
        room, ref, forwarded = run.room, sending.ref, sending.forwarded
        answers = self.host.steps.take_inputs(game_id, run) if run.inputs else Answers()
        refused = None
        try:
            room.step(run.now(), command, frame=None if forwarded is None and ref is None else (forwarded, ref))
        except (Reject, Invalid) as exc:
            refused = exc
        except HookFailed as exc:
            self.host.steps.hook_failed(game_id, room, exc)
            refused = exc
        answers.add(player_id, ref, refused, forwarded, self.host.forwarder.keeps(forwarded))
        if refused is None:
            snapshot = room.mode.tick_rate == 0 or isinstance(command, SNAPSHOT_AFTER)
        else:
            snapshot = room.over  # a failure may have aborted the game
        await self.host.steps.after_step(game_id, run, snapshot=snapshot, wait=True, answers=answers)
        self.host.driver.schedule(game_id)

    async def _queue(self, game_id: int, run: Running, command: Input, sending: Sending) -> None:
        """An input of an active real-time room waits for the room's next tick, which takes it
        with the others as one step and answers it (``gameplatform.rooms.inputs``). A copy of an
        input queued already is not queued again (its first copy's answer answers it); one past
        the bound of its player's queue (``inputs_waiting_most``: twice what the mode's
        ``input_rate`` lets through at once) is answered ``rate_limited``."""
        player_id, ref, forwarded = command.player_id, sending.ref, sending.forwarded
        if run.inputs.holds(player_id, ref, forwarded, resent=sending.resent):
            if forwarded is not None:
                self.host.out.deliver(game_id, Delivery(took=(forwarded,)), True)
            return
        if run.inputs.offer(QueuedInput(command, ref, forwarded), inputs_waiting_most(run.room.mode)):
            return
        error = {
            "type": "error",
            "code": "rate_limited",
            "message": "Too many inputs before the game's next tick.",
            "retry_after": round(1 / run.room.mode.tick_rate, 3),
        }
        if ref is not None:
            error["ref"] = ref
        took = () if forwarded is None else (forwarded,)
        delivery = Delivery(((player_id, text(error)),), took=took)
        await self.host.publish(game_id, delivery, self.host.steps.everywhere(game_id))

    def _hold_seat(self, game_id: int, run: Running, command: Command, sending: Sending) -> bool:
        """Who holds the player's seat after this ``command`` of socket ``sending.conn``; False:
        the command is a stale socket's and changes nothing.

        A frame of a socket older than the one holding the seat (a lower seat number) is such a
        one: its socket's process forwarded it and then died, or the owner heard it late, while the
        client connected again and sent its unanswered frames again, marked ``resent``. Taken, the
        late copy would be a second sending of a frame the room took, as the first sending of a
        new one (a copy not marked ``resent`` is never matched by its ``ref``). The old socket is
        told it was replaced (it closes 4409), as its late ``connect`` would be."""
        conn, seat, here = sending.conn, sending.seat, sending.here
        match command:
            case Connect(player_id=player_id):
                return self._connecting(game_id, run, player_id, conn, seat, here)
            case Disconnect(player_id=player_id):
                held = run.holders.get(player_id)
                if held is None or held[0] != conn:
                    return False
                del run.holders[player_id]
            case PlayerCommand(player_id=player_id):
                held = run.holders.get(player_id)
                if held is not None and held[0] != conn and seat < held[1]:
                    self.host.out.deliver(game_id, Delivery(replaced=(conn,)), not here)
                    return False
        return True

    def _connecting(self, game_id: int, run: Running, player_id: int, conn: str, seat: int, here: bool) -> bool:
        """Socket ``conn`` (seat number ``seat``) takes ``player_id``'s seat, unless a newer one holds it."""
        held = run.holders.get(player_id)
        if held is not None and held[0] != conn:
            if seat < held[1]:  # an older socket's connect, late: the newer one keeps the seat
                self.host.out.deliver(game_id, Delivery(replaced=(conn,)), not here)
                return False
            # To the process of the replaced socket: this one's, or every one.
            self.host.out.deliver(game_id, Delivery(replaced=(held[0],)), not held[2])
        run.holders[player_id] = (conn, seat, here)
        return True

"""Frames for a room that runs on another process: sent to its owner through the game's group and
kept until the owner's receipt comes, sent again meanwhile, and answered here when none comes, or
at once when the game is known to have ended (its room let go: nobody will take them)."""

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from django.conf import settings

from gameplatform.modes import Reject
from gameplatform.modes.commands import (
    STAFF_COMMANDS,
    Action,
    Command,
    Connect,
    Disconnect,
    Forfeit,
    Input,
    Move,
    PlayerCommand,
    Ready,
    StillWatching,
    Unwatch,
    Watch,
)
from gameplatform.rooms.inputs import QueuedInput
from gameplatform.rooms.parts import Host
from gameplatform.rooms.records import answer, not_taken
from gameplatform.rooms.store import lease_seconds
from gameplatform.rooms.wire import Delivery, Receipts, Sending, send_op

logger = logging.getLogger(__name__)

# A frame forwarded to the room's owner on another process is sent again every RESEND_SECONDS
# until the owner's receipt comes (a room moving between processes hears nothing for a moment),
# and answered ``unavailable`` here once ``answer_seconds()`` have passed without one.
RESEND_SECONDS = 0.5
FORWARDED_MOST = 10_000  # frames of this process's sockets waiting for a receipt; past it: ``overloaded``
# An owner takes no forwarded frame this close to the moment its sender answers it ``unavailable``
# (wall clock, shared by the processes to within this): a frame the client then sends again is
# never overtaken by a late copy of the first, which the room would not know as the same frame.
UNTIL_MARGIN = 0.5
PLAYER_FRAMES = (Ready, Move, Action, Input, Forfeit)  # a player's frames, answered with an error when unanswered
# A socket's commands whose missing answer closes it (1013: the client connects again).
SOCKET_OPENINGS = (Connect, Watch, StillWatching)
# A socket's frames nobody waits for an answer to: a lost one changes nothing (the room's grace
# ends a seat nobody holds, and forgets a spectator it stops hearing from).
NO_ANSWER = (Disconnect, Unwatch)
GAME_OVER = Reject("game_over", "The game is over.")  # as the room refuses a frame after the end
ENDED_KEPT = 4096  # games this process knows ended lately: their frames are settled here, not forwarded


def answer_seconds() -> float:
    """How long a frame waits for a room that moves between processes before it is answered
    ``unavailable``: ``ROOM_ANSWER_SECONDS``, by default twice the lease (6 s), past a takeover's
    usual 4 to 5 s."""
    return float(getattr(settings, "ROOM_ANSWER_SECONDS", None) or 2 * lease_seconds())


@dataclass(eq=False)
class Forwarded:
    """A socket's frame sent to its room's owner on another process, waiting for the receipt."""

    game_id: int
    command: Command
    # As its socket sent it, with its id (``forwarded``) and when it is answered ``unavailable``
    # here if no receipt came (``until``, wall clock)
    sending: Sending
    last: float  # when it was last sent (monotonic)

    @property
    def player_id(self) -> int:
        """The player the frame is from (0: a spectator's socket, or the platform)."""
        return self.command.player_id if isinstance(self.command, PlayerCommand) else 0


class Forwarder:
    """This process's frames for rooms owned elsewhere: owns them until their receipts
    (``forwarded``, by id), sends them again every ``RESEND_SECONDS`` (or applies them here when
    this process takes their room), answers those with no receipt in time, and the platform's own
    commands for a room wherever it runs."""

    def __init__(self, host: Host) -> None:
        self.host = host
        # This process's sockets' frames sent to rooms owned elsewhere, by id, until their receipt
        self.forwarded: dict[str, Forwarded] = {}
        # Games known to have ended (their room finished here, or was found over as it was opened
        # here): a frame for one is settled at once (``_game_over``), never sent to a room that is gone
        self._ended: OrderedDict[int, None] = OrderedDict()
        self._count = 0

    async def forward(self, game_id: int, command: Command, sending: Sending) -> None:
        """Send a frame to the room's owner on another process, and keep it until the receipt: a
        frame sent while the room moves (its owner died or stops, and nobody hears the game's group
        for a moment) is sent again, to whoever owns the room then, or applied here if this process
        takes the room; the owner knows it by its id and applies it once. Without a receipt within
        ``answer_seconds()`` it is answered ``unavailable`` (``_unanswered``)."""
        if game_id in self._ended:
            await self._game_over(Forwarded(game_id, command, sending, 0.0))
            return
        if len(self.forwarded) >= FORWARDED_MOST:
            await self._unanswered(Forwarded(game_id, command, sending, 0.0), "overloaded")
            return
        forwarded_id = self._forwarded_id()
        sending = replace(sending, forwarded=forwarded_id, until=time.time() + answer_seconds())
        self.forwarded[forwarded_id] = Forwarded(game_id, command, sending, time.monotonic())
        self.host.start()
        await send_op(game_id, command, sending)

    def _forwarded_id(self) -> str:
        self._count += 1
        return f"{self._prefix}{self._count}"

    @property
    def _prefix(self) -> str:
        return f"{self.host.owner[:12]}."  # short: rooms remember the ids a while

    def ended(self, game_id: int) -> None:
        """The game ended (its result is recorded): a frame of it is answered here from now on,
        as its room would have answered it (``_game_over``), and never sent again."""
        self._ended[game_id] = None
        self._ended.move_to_end(game_id)
        if len(self._ended) > ENDED_KEPT:
            self._ended.popitem(last=False)

    async def game_over(self, game_id: int) -> None:
        """The game ended, as a socket here heard (its room's last delivery): its frames still
        waiting for a receipt are settled now, not sent again to a room that is gone."""
        self.ended(game_id)
        for forwarded_id, forwarded in list(self.forwarded.items()):
            if forwarded.game_id == game_id and self.forwarded.pop(forwarded_id, None) is not None:
                await self._game_over(forwarded)

    def keeps(self, forwarded_id: str | None) -> bool:
        """Whether a frame's sender answers it if the room that has it queued lets it go: another
        process's forwarder keeps its frames until their receipts, and this one keeps those it
        still waits for (not one it applied here itself when the frame's room came here)."""
        if forwarded_id is None:  # a socket's frame on the room's own process
            return False
        return not forwarded_id.startswith(self._prefix) or forwarded_id in self.forwarded

    async def untaken(self, game_id: int, queued: list[QueuedInput], *, over: bool) -> None:
        """The inputs a room had queued for its next tick when it was let go (its lease lost, the
        host stopping), answered here, never dropped in silence: ``unavailable`` with
        ``retry_after``, as a frame with no receipt in time (the client sends it again, to the
        room's next owner), or ``game_over`` in a room that ended, as an input after the end is.
        Those whose sender's forwarder ``keeps`` them go again to the next owner instead."""
        answers = tuple(
            answer(q.command.player_id, q.ref, GAME_OVER) if over else not_taken(q.command.player_id, q.ref)
            for q in queued
            if not self.keeps(q.forwarded)
        )
        if not answers:
            return
        logger.info("a room let go answered its queued inputs", extra={"game_id": game_id, "answered": len(answers)})
        try:
            await self.host.publish(game_id, Delivery(answers), False)  # their sockets are here
        except Exception:
            logger.warning("queued inputs not answered", exc_info=True, extra={"game_id": game_id})

    async def command(self, game_id: int, command: Command, *, timeout: float | None = None) -> bool:
        """The platform's own step for a room, wherever it runs: ``Forfeit(player_id)`` (staff
        kick a player: they leave as if they had forfeited) or ``Abandon()`` (staff end the
        game), one of ``STAFF_COMMANDS``. True once the room has taken it (its step is in the
        store, its frames are out; a step the rules refuse, such as a player already out, is
        taken too and changes nothing);
        False when no process took it within ``timeout`` (by default ``answer_seconds()``).

        Only the room's owner changes a room, so this goes the way of a player's frame from a
        socket on another process: applied here when the room runs here, else sent to the owner
        through the game's group with an id (``send_op``), and sent again every
        ``RESEND_SECONDS`` until the owner's receipt comes back (heard on the game's group,
        ``Receipts``: this process may hold no socket of the game). The room knows the id
        (``Room.took``), so a copy sent again is answered, not applied twice, and the copies carry
        the same ``until``: the owner takes none after this call has given up. It differs from a
        player's frame in two ways: no socket sent it (it holds no seat, and no client's frame
        ever is an ``Abandon``: ``apply`` refuses the platform's steps from a socket), and a room
        that nobody runs at the moment (it moves between processes) is waited for, not opened
        here: a staff page's process does not take games over."""
        if not isinstance(command, STAFF_COMMANDS):
            raise ValueError(f"not a command of the platform's: {command!r}")
        total = answer_seconds() if timeout is None else timeout
        deadline, until = time.monotonic() + total, time.time() + total
        forwarded_id = self._forwarded_id()
        here, sent = Sending(forwarded=forwarded_id), Sending(forwarded=forwarded_id, until=until)
        if await self.host.apply(game_id, command, here):
            return True
        async with Receipts(game_id) as receipts:
            while (left := deadline - time.monotonic()) > 0:
                owner = (await self.host.store.owners([game_id])).get(game_id)
                if owner is None or owner == self.host.owner:  # moving (or being opened here): a moment
                    await asyncio.sleep(min(RESEND_SECONDS, left))
                else:
                    await send_op(game_id, command, sent)
                    if await receipts.wait(forwarded_id, min(RESEND_SECONDS, left)):
                        return True
                if await self.host.apply(game_id, command, here):  # it came here meanwhile
                    return True
        return False

    def heard(self, receipts) -> None:
        """The owners took these forwarded frames (their ids, in a delivery's ``took``)."""
        for forwarded_id in receipts:
            self.forwarded.pop(forwarded_id, None)

    async def keep(self) -> None:
        while not self.host.stopping:
            await asyncio.sleep(RESEND_SECONDS / 2)
            if self.forwarded:
                try:
                    await self.resend()
                except Exception:
                    logger.warning("forwarded frames not sent again", exc_info=True)

    async def resend(self) -> None:
        """Send again the forwarded frames with no receipt for ``RESEND_SECONDS``, each socket's
        in the order they were sent; answer those past ``answer_seconds()``, and settle at once
        those of a game that ended (``_game_over``): its room is gone, and nobody would take them."""
        now, wall = time.monotonic(), time.time()
        due = [(i, f) for i, f in self.forwarded.items() if now - f.last >= RESEND_SECONDS or wall >= f.sending.until]
        conns = {f.sending.conn for _, f in due}
        # Who owns the rooms of the frames going again: one read for them all, whatever their number.
        games = sorted({f.game_id for f in self.forwarded.values() if f.sending.conn in conns} - set(self.host.running))
        owners = await self.host.store.owners(games) if games and not self.host.draining else {}
        for forwarded_id, forwarded in list(self.forwarded.items()):
            if forwarded.sending.conn not in conns or self.forwarded.get(forwarded_id) is not forwarded:
                continue  # (a socket's frames go again together, in order)
            if forwarded.game_id in self._ended:  # (found over as its room was opened for a frame before it)
                del self.forwarded[forwarded_id]
                await self._game_over(forwarded)
                continue
            if wall >= forwarded.sending.until:
                del self.forwarded[forwarded_id]
                await self._unanswered(forwarded, "unavailable")
                continue
            forwarded.last = now
            took_over = await self._take_over_for(forwarded, owners)
            if not took_over and forwarded.game_id in self._ended:
                # Nobody owned the room, and opened here it was over: its owner let it go at
                # the end. Nobody will take the frame: settled now, not sent again.
                self.forwarded.pop(forwarded_id, None)
                await self._game_over(forwarded)
                continue
            if took_over:
                self.forwarded.pop(forwarded_id, None)
                # Applied by its own sender: no ``until`` to keep, it is answered now either way.
                sending = replace(forwarded.sending, until=None)
                applied = await self.host.apply(forwarded.game_id, forwarded.command, sending)
                if not applied:  # the room left this process meanwhile (a drain): answered, not dropped
                    await self._unanswered(forwarded, "unavailable")
                continue
            await send_op(forwarded.game_id, forwarded.command, forwarded.sending)

    async def _take_over_for(self, forwarded: Forwarded, owners: dict[int, str | None]) -> bool:
        """Whether the room of a frame waiting for its receipt runs here now: opened here when
        nobody owns it (``owners``: its owner died and the lease ran out, or it was handed over)."""
        game_id = forwarded.game_id
        if game_id in self.host.running:
            return True
        if self.host.draining or game_id not in owners or owners[game_id] is not None:
            return False
        owners[game_id] = self.host.owner  # tried once a pass: the frames after it go where it went
        try:
            return await self.host.open(game_id)
        except Exception:
            logger.warning("a room could not be opened for a waiting frame", exc_info=True, extra={"game_id": game_id})
            return False

    async def _game_over(self, forwarded: Forwarded) -> None:
        """A frame of a game that ended, settled here at once, as its room answered frames after
        the end: a player's frame ``error`` ``game_over`` (with its ``ref``); a socket whose
        ``connect`` or ``watch`` came after the end is closed 1013 (connected again, it gets the
        game as it ended); a ``disconnect`` or ``unwatch`` is dropped: nobody waits for it."""
        f = forwarded
        logger.debug(
            "a frame of an ended game settled here",
            extra={"game_id": f.game_id, "op": f.command.op, "request_id": f.sending.conn or "-"},
        )
        if isinstance(f.command, SOCKET_OPENINGS) and f.sending.conn is not None:
            watchers = not isinstance(f.command, Connect)
            await self.host.publish(f.game_id, Delivery(unanswered=(f.sending.conn,), watchers=watchers), False)
        elif isinstance(f.command, PLAYER_FRAMES):
            reply = answer(f.player_id, f.sending.ref, GAME_OVER)
            await self.host.publish(f.game_id, Delivery((reply,)), False)  # the sender's process

    async def _unanswered(self, forwarded: Forwarded, code: str) -> None:
        """A forwarded frame with no receipt in time is answered here, never dropped in silence:
        a player's frame ``error`` (``unavailable`` with ``retry_after``, its ``ref``); a socket
        whose ``connect`` or ``watch`` got no answer is closed 1013 (the client connects again);
        a ``disconnect`` or ``unwatch`` is only said (nobody waits for it: the room's grace ends
        a seat nobody holds). The line carries the request id of the socket that sent the frame
        (the forwarder's task is nobody's)."""
        f = forwarded
        logger.log(
            logging.INFO if isinstance(f.command, NO_ANSWER) else logging.WARNING,
            "a frame got no receipt from its room",
            extra={
                "game_id": f.game_id,
                "op": f.command.op,
                "player_id": f.player_id,
                "answered": code,
                "request_id": f.sending.conn or "-",
            },
        )
        if isinstance(f.command, SOCKET_OPENINGS) and f.sending.conn is not None:
            watchers = not isinstance(f.command, Connect)
            await self.host.publish(f.game_id, Delivery(unanswered=(f.sending.conn,), watchers=watchers), False)
        elif isinstance(f.command, PLAYER_FRAMES):
            reply = not_taken(f.player_id, f.sending.ref, code)
            await self.host.publish(f.game_id, Delivery((reply,)), False)  # the sender's process

"""The sockets of a game's room: the kit writes each one its frames of the room's deliveries.

A room's step reaches its game's sockets as one ``Delivery`` (``gameplatform.rooms.wire``, the hub
signal ``room``). ``RoomSocket``, mixed into a ``BaseConsumer``, reads it for its socket: a
player's socket writes the frames for everyone and for its player, a spectator's socket the
spectators' frames once it has its first ``game_state``; and it acts on the words meant for it
(replaced: close 4409; unanswered: close 1013; removed by staff: close 4403). The other way,
``to_room`` hands the room a command of the socket's (its client's frame, or its own connect or
watch) with how it came (``Sending``). The app says what a socket of its game does when the game
ends or its room moves (``on_room_over``, ``on_room_moved``), and which host its room runs on
(``room_host``, asked once); it never reads a delivery's frames itself.
"""

from collections import OrderedDict
from typing import TYPE_CHECKING

from gameplatform.core.errors import Unavailable
from gameplatform.rooms.wire import SIGNAL, Sending
from gameplatform.sockets.consumers import CLOSE_FORBIDDEN, CLOSE_REPLACED

if TYPE_CHECKING:
    from gameplatform.modes.commands import Command
    from gameplatform.rooms.host import RoomHost
    from gameplatform.sockets.codec import Codec

# The spectators' frames of the last deliveries, as each codec writes them (``audience_frames``):
# a room's spectators may be a thousand sockets of one process, each handed the same delivery by
# the hub; the first of them of each codec writes its frames, the others send what it wrote.
AUDIENCES_KEPT = 64


class RoomSocket:
    """A mixin for the ``BaseConsumer`` of a game's sockets (``class GameConsumer(RoomSocket,
    BaseConsumer)``): its ``on_signal`` takes the room's deliveries and passes other signals on."""

    game_id: int  # the socket's game (the app's, from its route)
    seat = 0  # this socket's seat number: of two sockets of a player, the higher one holds the seat
    watching = False  # a spectator's socket: the spectators' frames, not a player's
    has_state = False  # a spectator's socket had its first ``game_state``: the frames after it are its own
    host: "RoomHost | None" = None  # ``room_host()``, asked once: a socket lives on its host's event loop
    # How this socket's frames with no ``ref`` come (a real-time input, fire and forget; its own
    # connect or watch): one record for them all, made at the first, after the seat number
    own_sending: Sending | None = None

    def room_host(self) -> "RoomHost":
        """The host of this process the socket's frames and the room's receipts go to (the app's)."""
        raise NotImplementedError

    async def to_room(self, command: "Command", frame: dict | None = None) -> None:
        """This socket's ``command`` to its game's room, wherever it runs (``RoomHost.submit``):
        made of its client's ``frame`` (answered with its ``ref``; ``resent``: the client sends a
        frame again that got no answer before its last socket closed, and one the room took is
        acked ``duplicate``, not applied again), or with none the socket's own (a connect, a watch).
        The app builds the command; the socket's name and seat number, and the frame's ``ref``
        and ``resent``, are the kit's: one call from the app per frame, and a record only for a
        frame with a ``ref`` (a real-time input, which has none, makes nothing)."""
        host = self.host or self._room_host()
        if frame is None or (frame.get("ref") is None and frame.get("resent") is not True):
            sending = self.own_sending or self._own_sending()
        else:
            sending = Sending(frame.get("ref"), self.conn_id, self.seat, resent=frame.get("resent") is True)
        await host.submit(self.game_id, command, sending)

    def _room_host(self) -> "RoomHost":
        self.host = self.room_host()
        return self.host

    def _own_sending(self) -> Sending:
        self.own_sending = Sending(conn=self.conn_id, seat=self.seat)
        return self.own_sending

    async def on_room_over(self) -> None:
        """The delivery's frames ended the game (its ``game_over`` was among them)."""

    async def on_room_moved(self) -> None:
        """The room runs on another process now (``hello``): take the seat, or watch, again there."""

    async def on_signal(self, signal: str, data: dict) -> None:
        """A room's ``Delivery`` (as its signal's data) to this socket: its frames, then its words
        (other signals go on to the consumer's own ``on_signal``). Every socket of a game runs
        this for every step of its room: one call, the frames written in place."""
        if signal != SIGNAL:
            await super().on_signal(signal, data)
            return
        if data.get("took"):  # receipts of frames forwarded from this process
            (self.host or self._room_host()).heard(data["took"])
        if self.conn_id in data.get("unanswered", ()):  # no room answered this socket in time
            error = Unavailable("The game's room did not answer; connect again.")
            await self.end(error.close_code, error.code, error.message, **error.extra)
            return
        if self.watching:
            conn = data.get("conn")
            if conn is not None:  # a spectator's first ``game_state``: the others pass it by
                if conn != self.conn_id:
                    return
                self.has_state = True
            # The frames before its first state are not on its base: passed by.
            if self.has_state and self.codec.binary:  # written once for the spectators of its codec
                for message in audience_frames(data["frames"], self.codec):
                    await self.send(None, message)
            elif self.has_state:
                for frame in data["frames"]:
                    if frame[0] <= 0:
                        await self.send(frame[1])
        elif self.conn_id in data.get("replaced", ()):
            await self.end(CLOSE_REPLACED, "replaced", "A newer socket of yours took this seat.")
            return
        elif self.user_id in data.get("removed", ()):  # the room took their forfeit: every socket of theirs goes
            await self.end(CLOSE_FORBIDDEN, "not_a_player", "Staff removed you from this game.")
            return
        else:
            await self.send_room_frames(data["frames"], self.user_id)
        if data.get("over"):
            await self.on_room_over()
        elif data.get("hello"):
            if self.watching:
                self.has_state = False  # the room's next owner sends the state again
            await self.on_room_moved()

    async def send_room_frames(self, frames, player_id: int) -> None:
        """The frames of ``frames`` for everyone (0) and for ``player_id``, through this socket's
        codec (which converts a frame once for all the sockets it goes to)."""
        patched = self.codec.prefers_patch
        for frame in frames:
            to = frame[0]
            if to == player_id or to == 0:
                await self.send(text_data=frame[2] if patched and len(frame) > 2 else frame[1])


_audiences: "OrderedDict[tuple[int, Codec], tuple[object, list[bytes]]]" = OrderedDict()


def audience_frames(frames, codec: "Codec") -> list[bytes]:
    """The spectators' frames of a delivery's ``frames`` (those for everyone, 0, and for the
    spectators, below 0) as binary messages of ``codec``: written once per codec, however many
    spectators' sockets of this process the delivery goes to. A state patch sent as the whole
    view goes as its JSON Patch where the codec prefers it (``Codec.prefers_patch``: compact,
    where the patch is shorter; ``Delivery.frames``)."""
    key = (id(frames), codec)
    kept = _audiences.get(key)
    if kept is not None and kept[0] is frames:  # the same delivery (kept alive here: no id reused)
        return kept[1]
    patched = codec.prefers_patch
    texts = [frame[2] if patched and len(frame) > 2 else frame[1] for frame in frames if frame[0] <= 0]
    messages = [codec.encode(text) for text in texts]
    if len(_audiences) >= AUDIENCES_KEPT:
        _audiences.popitem(last=False)
    _audiences[key] = (frames, messages)
    return messages

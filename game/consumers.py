import asyncio
import logging
import time
from functools import lru_cache
from urllib.parse import parse_qs

from game import rooms, selectors
from game.events import game_state
from game.registry import get_mode
from gameplatform.broadcast.groups import game_group, watch_group
from gameplatform.chat import speech
from gameplatform.core.errors import Conflict, Forbidden, RateLimited
from gameplatform.data import db
from gameplatform.data.ratelimit import FrameBudget
from gameplatform.http import serializers
from gameplatform.modes import Mode
from gameplatform.modes.api import FRAME_MESSAGES, Message
from gameplatform.modes.commands import (
    Action,
    Connect,
    Disconnect,
    Forfeit,
    Input,
    Move,
    Ready,
    StillWatching,
    Unwatch,
    Watch,
)
from gameplatform.modes.schema import holds_text, spoken
from gameplatform.rooms.host import WATCH_RENEW_SECONDS
from gameplatform.rooms.sockets import RoomSocket
from gameplatform.sockets.consumers import BaseConsumer, receives

logger = logging.getLogger(__name__)


# The game's frames are checked once, by the room, with the mode's schemas (and the action's name
# with ``gameplatform.modes.room.ACTION_NAME``); these serializers describe their shape for the
# documentation.
ROOM_CHECKS = "the game's room, with the mode's schemas"


class MoveInput(serializers.Serializer):
    movement = serializers.JSONField()


class ActionInput(serializers.Serializer):
    action = serializers.RegexField(r"^[a-z][a-z0-9_]{0,31}\Z")
    data = serializers.JSONField(required=False, default=dict)


class InputFrame(serializers.Serializer):
    data = serializers.JSONField()


@lru_cache(maxsize=1024)  # one entry per declared message: bounded by the modes' code
def _may_hold_text(message: Message, relayed_text: bool) -> bool:
    return holds_text(message.schema, relayed_text=relayed_text)


class GameConsumer(RoomSocket, BaseConsumer):
    """``/ws/game/<id>/``: a player's socket (one per player and game: a newer one replaces the
    older, 4409), or with ``?watch=1`` a spectator's (any signed-in user, for a mode that can be
    watched: the spectators' view, never a player's; it sends no game frames, ``not_a_player``).

    The socket parses frames and hands them to the game's room (``game.rooms``), which runs on
    one process; what the room says comes back as a ``Delivery`` (the hub signal ``room``) to the
    game's group, which the kit's ``RoomSocket`` writes to this socket: its frames, and words for
    it (you were replaced, nobody answered); this app says what the socket does when the game is
    over or its room moved (take the seat again, or watch again).
    """

    client_types = frozenset({"player_ready", "player_move", "game_action", "input", "forfeit"})
    server_frames = {
        "game_state": (
            "The whole game `{id, mode, state, players: [{id, username, score, side, ready, connected, forfeited}], "
            "board, turn, turn_deadline, winner_id, reason, version, tick, view}`: on connect, on every change of "
            "the game's life cycle, and (tic-tac-toe, relay) after every change. `view` is what this player may see. "
            "A game with public timers (the mode's round clocks) also has `timers: {name: seconds_left}`."
        ),
        "state_patch": (
            "`{tick, ops, turn, turn_deadline}`: `ops` is an RFC 6902 JSON Patch from my previous `view` to my new "
            "one; at most one per tick (real-time) or per change (turn-based). `timers: {name: seconds_left}` when "
            "a public timer was set, replaced or is gone."
        ),
        "player_ready": "`{user_id}`: a player is ready.",
        "game_start": "Every player is ready: the game is active.",
        "player_move": "`{user_id, movement}`: a move was made.",
        "game_action": "`{user_id, action, data}`: a game action was made.",
        "game_event": "`{event}`: a one-off event of the mode, to the players it concerns.",
        "turn_timeout": "`{user_id}`: that player's turn clock ran out.",
        "player_disconnected": "`{user_id}`: a player's socket closed; the seat is kept for the grace period.",
        "player_reconnected": "`{user_id}`: the player is back within the grace period.",
        "forfeit": "`{user_id}`: a player left the game.",
        "game_over": (
            "`{winner_id, reason}` with reason `win`, `draw`, `forfeit`, `abandoned`, or `aborted` (the mode kept "
            "failing: unrated)."
        ),
        "ack": (
            "`{ref}`: the room took my frame sent with that `ref` (`player_ready`, `player_move`, `game_action`, "
            "`input`, `forfeit`); the frames its step made came before it, so my view already shows it. "
            "`duplicate: true`: a frame sent again (`resent: true`) that the room had taken already: it counted "
            "once, and is not applied again."
        ),
    }

    budget: FrameBudget | None = None  # the mode's input_rate, per second
    joined_room = False
    watching = False  # a spectator's socket (``?watch=1``)
    # What the mode's messages say of their text (``_heard``), read once as the player takes
    # the seat: the frames' messages (``move``, ``input``) and the actions' (``*`` included) that
    # may hold text, and every message type the mode declares.
    texted_frames: dict[str, Message] = {}
    texted_actions: dict[str, Message] = {}
    declared: frozenset[str] = frozenset()
    _renewing: asyncio.Task | None = None  # a spectator's ``still_watching`` every WATCH_RENEW_SECONDS

    async def on_connect(self) -> None:
        self.game_id = int(self.scope["url_route"]["kwargs"]["game_id"])
        if parse_qs(self.scope.get("query_string", b"").decode("latin1")).get("watch", [""])[0] in ("1", "true"):
            self.watching = True
            game = await db.run(selectors.game_to_watch, game_id=self.game_id)
            self.mode_name, self.over = game["mode"], game["over"]
            await self.join_group(watch_group(self.game_id))
            return
        # In the game's group first: the room, when this socket opens it here, hears the group
        # from before its claim on (``RoomHost.open``) with no subscription of its own to make.
        await self.join_group(game_group(self.game_id))
        seat = await rooms.player_seat(self.game_id, self.user_id)
        self.mode_name, self.over = seat["mode"], seat["over"]
        if not self.over:
            # One socket per seat: of two sockets of a player, on any process, the one with the
            # higher seat number keeps the seat and the room tells the other it was replaced (it
            # closes 4409). The number is taken before the handshake is answered, so a socket
            # opened after another one's handshake completed always has the higher number, however
            # long either one's setup takes after it (a reconnect storm's late stragglers included).
            self.seat = await rooms.take_seat(self.game_id, self.user_id)

    async def on_accepted(self) -> None:
        if self.over:  # history: the game as it ended
            game, players = await db.run(selectors.game_with_seats, game_id=self.game_id)
            await self.send_frame(game_state(game, players))
            return
        if self.watching:  # the room, wherever it runs, sends this socket the spectators' state
            self.joined_room = True
            await self.to_room(Watch())
            self._renewing = asyncio.get_running_loop().create_task(self._still_watching())
            return
        self._read_mode(get_mode(self.mode_name))
        host = rooms.get_room_host()
        host.watch(self.game_id)
        self.joined_room = True
        await host.open(self.game_id)  # runs here unless another process already does
        await self.to_room(Connect(self.user_id))

    def _read_mode(self, mode: Mode) -> None:
        """What a player's socket needs of its mode for each frame, read once: its input budget,
        and which of its messages may hold text (a frame of one that may not costs no lookup)."""
        self.budget = FrameBudget(mode.input_rate, 1.0)
        messages = mode.messages
        frames = {t: messages[t] for t in FRAME_MESSAGES if t in messages}
        self.texted_frames = {t: m for t, m in frames.items() if _may_hold_text(m, False)}
        self.texted_actions = {t: m for t, m in messages.items() if _may_hold_text(m, True)}
        self.declared = frozenset(messages)

    async def _still_watching(self) -> None:
        """Tell the room, wherever it runs, that this spectator still watches: a room forgets the
        spectators it has not heard from in a while (their process died without an ``unwatch``)."""
        while self.joined_room:
            await asyncio.sleep(WATCH_RENEW_SECONDS)
            try:
                await self.to_room(StillWatching())
            except Exception:  # the layer is away: the next one may get through; the socket stays
                logger.warning("a spectator's renewal did not reach its room", exc_info=True)

    async def on_disconnect(self, code) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            self._renewing = None
        if self.joined_room and self.watching:
            self.joined_room = False
            await self.to_room(Unwatch())
        elif self.joined_room:
            self._leave_room()
            await self.to_room(Disconnect(self.user_id))

    def _leave_room(self) -> None:
        """No watch on the game's room any more (its socket closed, or the game is over: a
        finished room is not taken over, and a socket closing after the end tells it nothing)."""
        if self.joined_room:
            rooms.get_room_host().unwatch(self.game_id)
            self.joined_room = False

    def room_host(self):
        return rooms.get_room_host()

    async def on_room_over(self) -> None:
        self.over = True
        if self.watching:
            self.joined_room = False
        else:
            self._leave_room()
        # This process's frames of the game still on their way to its room (another socket's
        # ``disconnect`` as the game ended) are answered here: the room is gone.
        await rooms.get_room_host().game_over(self.game_id)

    async def on_room_moved(self) -> None:
        if not self.joined_room:
            return
        if self.watching:  # ask the room, where it runs now, for the state again
            await self.to_room(Watch())
        else:  # take the seat where it runs now
            await self._take_seat_again()

    async def _take_seat_again(self) -> None:
        """The room moved (taken over, or handed over by a stopping server): run it here if nobody
        does yet (a handed-over room waits for the first of its sockets to claim it), then take
        the seat wherever it runs."""
        try:
            await rooms.get_room_host().open(self.game_id)
        except Exception:  # the database or Redis away: the watch claims it when they are back
            logger.warning("the game's room could not be opened here", exc_info=True, extra={"game_id": self.game_id})
        await self.to_room(Connect(self.user_id))

    def _spend(self) -> None:
        if self.watching:
            raise Forbidden("You watch this game; only its players send game frames.", code="not_a_player")
        if self.over:  # the room is gone: answered here
            raise Conflict("The game is over.", code="game_over")
        if self.budget is not None:
            now = time.monotonic()
            if not self.budget.spend(now):
                raise RateLimited(retry_after=self.budget.wait(now))

    @receives(errors=("game_over", "not_a_player"))
    async def handle_player_ready(self, frame: dict) -> None:
        """I am ready: when every player is, the game starts (`game_start`)."""
        self._spend()
        await self.to_room(Ready(self.user_id), frame)

    async def _heard(self, message_type: str, value, *, relayed_text: bool = False):
        """``value`` as the other players get it: each text in it that they read (the message's
        ``Text`` fields; with ``relayed_text``, every string of data relayed as sent) through the
        platform's speech, as chat is (filtered; ``muted`` while the player is). A message with
        no text costs a lookup."""
        if not relayed_text:
            message = self.texted_frames.get(message_type)
        else:
            message = self.texted_actions.get(message_type if message_type in self.declared else "*")
        if message is None:
            return value
        texts = []
        spoken(message.schema, value, lambda text: texts.append(text) or text, relayed_text=relayed_text)
        if not texts:
            return value
        where = {"game_id": self.game_id}
        return await db.run(
            spoken,
            message.schema,
            value,
            lambda text: speech.said(self.user_id, text, where=where),
            relayed_text=relayed_text,
        )

    @receives(MoveInput, errors=("game_over", "muted", "not_a_player"), checked_by=ROOM_CHECKS)
    async def handle_player_move(self, frame: dict) -> None:
        """`{movement}`: my move, checked by the schema of the mode's `move` message (tic-tac-toe `{cell: 0..8}`).

        Refused with the mode's code (`illegal_move`, `not_your_turn`), `invalid`, or `rate_limited`; a move
        with text (the message's `Text` fields) from a muted player `muted`."""
        self._spend()
        movement = await self._heard("move", frame.get("movement"))
        await self.to_room(Move(self.user_id, movement), frame)

    @receives(ActionInput, errors=("game_over", "muted", "not_a_player"), checked_by=ROOM_CHECKS)
    async def handle_game_action(self, frame: dict) -> None:
        """`{action, data}`: a game-specific action (checked by the schema of the mode's message of that name,
        or `*`). Its text goes through the word filter, and a muted player's is refused `muted`: the message's
        `Text` fields, or every string of data the mode relays as sent (`AnyObject`)."""
        self._spend()
        action = frame.get("action")
        data = await self._heard(action, frame.get("data", {}), relayed_text=True)
        await self.to_room(Action(self.user_id, action, data), frame)

    @receives(InputFrame, errors=("game_over", "muted", "not_a_player"), checked_by=ROOM_CHECKS)
    async def handle_input(self, frame: dict) -> None:
        """`{data}`: a real-time input (checked by the schema of the mode's `input` message); over the mode's
        `input_rate` it is answered `rate_limited` and dropped."""
        self._spend()
        data = await self._heard("input", frame.get("data"))
        await self.to_room(Input(self.user_id, data), frame)

    @receives(errors=("game_over", "not_a_player"))
    async def handle_forfeit(self, frame: dict) -> None:
        """I give up: the mode decides what that means (by default the last player left wins)."""
        self._spend()
        await self.to_room(Forfeit(self.user_id), frame)

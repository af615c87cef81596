import asyncio
import json
import logging

from rest_framework import serializers

from game import selectors, services
from gameplatform import db
from gameplatform.consumers import CLOSE_FORBIDDEN, CLOSE_REPLACED, BaseConsumer
from gameplatform.errors import ApplicationError
from gameplatform.groups import game_group
from gameplatform.loops import per_loop
from gameplatform.ratelimit import Budget

logger = logging.getLogger(__name__)
MAX_PAYLOAD_BYTES = 4096


# Client frames per player and game in any second, on every socket and process. Client-simulated
# (relay) games stream positions: 60 a second fits a 60 Hz game loop (GAME_FRAMES_PER_SECOND).
FRAME_RATE = Budget("game", limit=60, window=1.0, what="frames", limit_setting="GAME_FRAMES_PER_SECOND")


class JsonObjectField(serializers.JSONField):
    """A JSON object of bounded size (moves and action data are relayed to the whole room)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        if len(json.dumps(data, separators=(",", ":"))) > MAX_PAYLOAD_BYTES:
            raise serializers.ValidationError(f"At most {MAX_PAYLOAD_BYTES} bytes.")
        return data


class MoveInput(serializers.Serializer):
    movement = JsonObjectField()


class ActionInput(serializers.Serializer):
    action = serializers.RegexField(r"^[a-z][a-z0-9_]{0,31}\Z")
    data = JsonObjectField(required=False, default=dict)


class SeatBeat:
    """One heartbeat task per server process for every game socket it holds.

    The seats' ``last_seen_at`` tells the stale-player timer that this process is
    alive; one bulk UPDATE per beat replaces a task and an UPDATE per socket.
    """

    def __init__(self) -> None:
        self.seats: dict[str, tuple[int, int]] = {}  # connection id -> (game id, user id)
        self.task: asyncio.Task | None = None

    def add(self, connection_id: str, game_id: int, user_id: int) -> None:
        self.seats[connection_id] = (game_id, user_id)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def remove(self, connection_id: str) -> None:
        self.seats.pop(connection_id, None)

    async def _run(self) -> None:
        while self.seats:
            await asyncio.sleep(services.heartbeat_seconds())
            seats = [(game_id, user_id, conn) for conn, (game_id, user_id) in self.seats.items()]
            try:
                await db.run_always(services.game_seats_heartbeat, seats=seats)
            except Exception:
                logger.exception("game heartbeat failed")


seat_beat = per_loop(SeatBeat)


class GameConsumer(BaseConsumer):
    """``/ws/game/<id>/``: players only. One socket per player and game: a newer one replaces the older (4409)."""

    client_types = frozenset({"player_ready", "player_move", "game_action", "forfeit"})
    server_frames = {
        "game_state": (
            "The whole game `{id, mode, state, players: [{id, username, score, side, ready, connected}], board, "
            "turn, winner_id, version}`: on connect and after every change."
        ),
        "player_ready": "`{user_id}`: a player is ready.",
        "game_start": "Every player is ready: the game is active.",
        "player_move": "`{user_id, movement}`: a move was made (the new `game_state` follows).",
        "game_action": "`{user_id, action, data}`: a game action was made.",
        "player_disconnected": "`{user_id}`: a player's socket closed; the seat is kept for the grace period.",
        "player_reconnected": "`{user_id}`: the player is back within the grace period.",
        "forfeit": "`{user_id}`: a player gave up.",
        "game_over": "`{winner_id, reason}` with reason `win`, `draw`, `forfeit` or `abandoned`.",
    }

    async def on_connect(self) -> None:
        self.game_id = int(self.scope["url_route"]["kwargs"]["game_id"])
        await db.run(selectors.game_require_player, game_id=self.game_id, user_id=self.user_id)
        await self.join_group(game_group(self.game_id))

    async def on_accepted(self) -> None:
        try:
            state = await db.run(
                services.game_player_connect, game_id=self.game_id, user_id=self.user_id, connection_id=self.conn_id
            )
        except ApplicationError as exc:  # the game or the seat went away meanwhile
            self.connected = False
            await self.end(exc.close_code if exc.close_code >= 4000 else CLOSE_FORBIDDEN, exc.code, exc.message)
            return
        await self.send_frame(state)
        seat_beat().add(self.conn_id, self.game_id, self.user_id)

    async def on_disconnect(self, code) -> None:
        seat_beat().remove(self.conn_id)
        await db.run_always(
            services.game_player_disconnect, game_id=self.game_id, user_id=self.user_id, connection_id=self.conn_id
        )

    async def on_signal(self, signal: str, data: dict) -> None:
        if signal == "replaced" and data.get("user_id") == self.user_id and data.get("connection_id") != self.conn_id:
            await self.end(CLOSE_REPLACED, "replaced", "A newer socket of yours took this seat.")

    async def _spend(self) -> None:
        """One frame of the player's budget in this game, shared by all their sockets and processes."""
        await FRAME_RATE.aspend(self.game_id, self.user_id)

    # Each frame spends its budget when it arrives; its database work then runs in arrival
    # order while the socket reads on (a frame never waits behind the previous one's unit).

    async def handle_player_ready(self, frame: dict) -> None:
        """I am ready: when every player is, the game starts (`game_start`)."""
        await self._spend()
        self._in_order_run(frame, services.game_player_ready)

    async def handle_player_move(self, frame: dict) -> None:
        """`{movement}`: my move; tic-tac-toe `{cell: 0..8}`. Refused with `illegal_move` or `not_your_turn`."""
        await self._spend()
        data = self.validate(MoveInput, frame)
        self._in_order_run(frame, services.game_move, movement=data["movement"])

    async def handle_game_action(self, frame: dict) -> None:
        """`{action, data}`: a game-specific action, relayed to the players."""
        await self._spend()
        data = self.validate(ActionInput, frame)
        self._in_order_run(frame, services.game_action, action=data["action"], data=data["data"])

    async def handle_forfeit(self, frame: dict) -> None:
        """I give up: the other player wins (`game_over` with reason `forfeit`)."""
        await self._spend()
        self._in_order_run(frame, services.game_forfeit)

    def _in_order_run(self, frame: dict, service, **kwargs) -> None:
        self.then_in_order(
            lambda: db.run(service, game_id=self.game_id, user_id=self.user_id, **kwargs), ref=frame.get("ref")
        )

"""The platform's sockets, each with what it keeps and how it catches up after a gap.

What a gap costs, per socket (frames sent while the socket was down are not queued by the
server; the client rebuilds what the platform stores):

- game: the full ``game_state`` (with ``version``) comes on reconnect; moves in between are
  only visible through it. A game that ended meanwhile gets a ``game_over`` rebuilt from it.
- lobby: ``lobby_state`` comes on reconnect; missed ``chat_message`` frames are replayed from
  ``GET /api/lobbies/{id}/messages/``. Typing and presence frames of the gap are lost
  (``lobby_state.online_user_ids`` is current).
- DM: missed ``dm_message`` frames are replayed from ``GET /api/dm/{id}/messages/``.
- notifications: ``badge`` comes on reconnect; persisted ``notification`` frames are replayed
  from ``GET /api/notifications/?unread=1``; a ``match_found`` missed while queued is rebuilt
  from ``GET /api/matchmaking/status/``. Other invite and friend events are lost (their
  lists are REST calls).
- world: ``welcome`` (character, location, nearby, world) and ``party_update`` come on
  reconnect; world events are replayed from ``GET /api/world/events/`` as ``world_event``
  frames. World chat, whispers and positions are not stored: those of the gap are lost.
- friends status: ``presence_snapshot`` comes on reconnect (complete).
- battle: ``connected {battle}`` comes on reconnect (hp and participants are current).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed

from .errors import RequestTimeout, SocketClosed, error_from_frame
from .frames import Frame, MessageType
from .patch import PatchError, apply_patch
from .sockets import Socket

logger = logging.getLogger("gameplatform_client")

MAX_CATCH_UP_PAGES = 10


async def _newest_id(client, path: str) -> int:
    """The id of the newest entry of a list route (0 when empty): where a replay starts from."""
    page = await client.get(path, params={"page_size": 1})
    ids = [entry["id"] for entry in page.get("results", [])]
    return max(ids) if ids else 0


GAME_OVER_PHASES = ("finished", "abandoned")
CHANGE_TYPES = ("game_state", "state_patch")
# An ``unavailable`` answer without ``retry_after``: the wait before sending the frame again.
UNAVAILABLE_RETRY_SECONDS = 1.0


class GameRoom(Socket):
    """``/ws/game/{id}/``, for every mode. ``state`` is the latest ``game_state`` kept current by the
    ``state_patch`` frames since (its ``view``, ``board``, ``turn``, ``turn_deadline`` and ``tick``);
    ``view``, ``phase``, ``turn``, ``tick`` and ``players`` read it. ``on_change(fn)`` and
    ``changed()`` follow the view; ``ready``, ``move``, ``action``, ``send_input`` and ``forfeit``
    play.

    ``ready``, ``move`` and ``action`` wait for the server's answer, never longer than their
    ``timeout`` (the client's ``request_timeout`` by default): past it they raise
    ``RequestTimeout``. A frame whose connection closed before its answer is sent again, with the
    same ``ref``, once the new connection has its ``game_state`` (the server takes a ref once: a
    frame it already took is answered ``ack`` with ``duplicate``, and not applied twice). An
    ``unavailable`` answer (the game's room is moving between server processes) is tried again
    after its ``retry_after`` while the call's time allows."""

    def __init__(self, client: Any, game_id: int) -> None:
        super().__init__(client, f"/ws/game/{game_id}/", f"game:{game_id}")
        self.game_id = game_id
        self.state: Frame | None = None
        self._over_seen = False
        self._change_handlers: list[Callable] = []
        # The view is on this connection's game_state (patches apply to it); set by the first
        # game_state of each connection, cleared by a drop.
        self._has_state = False
        # Open with its game_state: a frame may go out (or the socket is closed for good).
        self._sendable = asyncio.Event()
        # Set when the connection of the latest game_state drops (a new one for each connection).
        self._gone = asyncio.Event()

    async def __aenter__(self) -> GameRoom:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- what the room knows -----------------------------------------------------------

    @property
    def version(self) -> int:
        """The ``version`` of the latest ``game_state`` (patches do not carry one)."""
        return int((self.state or {}).get("version") or 0)

    @property
    def view(self) -> Any:
        """What I may see of the game now: the last ``game_state``'s ``view`` with every patch since applied."""
        return (self.state or {}).get("view")

    @property
    def phase(self) -> str | None:
        """``waiting_for_players``, ``waiting_for_ready``, ``active``, ``finished`` or ``abandoned``."""
        return (self.state or {}).get("state")

    @property
    def turn(self) -> int | None:
        """The user id whose turn it is (None: nobody's, or a real-time game)."""
        return (self.state or {}).get("turn")

    @property
    def tick(self) -> int:
        return int((self.state or {}).get("tick") or 0)

    @property
    def players(self) -> list[dict]:
        """The seats ``{id, username, score, side, ready, connected, forfeited}`` of the latest ``game_state``."""
        return list((self.state or {}).get("players") or [])

    @property
    def is_over(self) -> bool:
        return self.phase in GAME_OVER_PHASES

    @property
    def my_turn(self) -> bool:
        return self.phase == "active" and self.turn == self.client.user_id

    # --- frames in ---------------------------------------------------------------------

    def observe(self, frame: Frame) -> None:
        if frame.type == "game_state":
            # Always the newest: frames come in order, and a socket's first one is fresh. (Its
            # ``version`` may go down: a finished game's state comes from its record, not its room.)
            self.state = frame
            if not self._has_state:  # this connection's first: what waits for it may go out
                self._has_state = True
                self._gone = asyncio.Event()
                if self.is_open:
                    self._sendable.set()
            self._changed()
        elif frame.type == "state_patch" and self.state is not None and self._has_state:
            # (A patch before a new connection's game_state follows a view this client may not
            # have had: the game_state replaces the view whole.)
            try:
                view = apply_patch(self.state.get("view"), frame.get("ops") or [])
            except PatchError:
                # Never expected: the view is no longer the server's. A new socket gets a fresh game_state.
                logger.warning("a state_patch of %s did not apply; reopening for a fresh game_state", self.name)
                self.drop()
                return
            fields = {"view": view, "tick": frame.get("tick", self.tick)}
            for key in ("turn", "turn_deadline"):
                if key in frame:
                    fields[key] = frame[key]
            if isinstance(view, dict) and "board" in view:
                fields["board"] = view["board"]
            self.state = Frame({**self.state, **fields}, self.state.source, frame.replayed)
            self._changed()
        elif frame.type == "game_over":
            self._over_seen = True

    def _changed(self) -> None:
        for fn in list(self._change_handlers):
            self.client._call(fn, self.view)

    def on_change(self, fn: Callable) -> Callable[[], None]:
        """Call ``fn(view)`` (sync or async) after every ``game_state`` and ``state_patch``, with the
        view they made. Returns an unsubscribe."""
        self._change_handlers.append(fn)
        return lambda: self._change_handlers.remove(fn) if fn in self._change_handlers else None

    async def changed(self, *, timeout: float = 30.0) -> Any:
        """Wait for the next ``game_state`` or ``state_patch`` and return the view then."""
        await self.wait_for(where=lambda f: f.type in CHANGE_TYPES, timeout=timeout)
        return self.view

    def on_drop(self) -> None:
        self._has_state = False
        self._sendable.clear()
        self._gone.set()

    def _finish(self, code: int | None, reason: str = "") -> None:
        super()._finish(code, reason)
        self._gone.set()  # what waits wakes, and finds the socket closed
        self._sendable.set()

    async def on_open(self, *, first: bool) -> int:
        if self._has_state:  # the game_state came with the opening handshake
            self._sendable.set()
        if not first and self.is_over and not self._over_seen:
            self._deliver(
                {"type": "game_over", "winner_id": self.state.get("winner_id"), "reason": self.state.get("reason")},
                replayed=True,
            )
            return 1
        return 0

    # --- playing -----------------------------------------------------------------------

    def _seat(self) -> dict:
        me = self.client.user_id
        return next((p for p in self.players if p.get("id") == me), {})

    async def _taken(self, frame: dict, timeout: float | None = None) -> Frame:
        """Send ``frame`` and return ``state`` once the room took it (its ``ack``: the frames its
        step made, patches included, came first), or raise the typed error it refused it with,
        ``RequestTimeout`` past ``timeout``, ``SocketClosed`` if the socket closes for good first.

        The frame goes out once this connection has its ``game_state``. If the connection drops
        before the answer, the frame goes out again, with the same ``ref``, once the next one has
        its ``game_state``; ``unavailable`` sends it again after ``retry_after``. A frame sent again
        carries ``resent: true``: one the server took already is answered ``ack`` ``duplicate``."""
        wait = self.client.request_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        ref = self._new_ref()
        sent = {**frame, "ref": ref}

        def timed_out() -> RequestTimeout:
            return RequestTimeout(f"no answer to {frame['type']} on {self.name} within {wait} s", ref=ref, timeout=wait)

        while True:
            if self.closed_code is not None:
                raise SocketClosed(self.closed_code)
            if not self._sendable.is_set():
                try:
                    await asyncio.wait_for(self._sendable.wait(), max(0.0, deadline - loop.time()))
                except TimeoutError:
                    raise timed_out() from None
                continue
            ws, gone = self._ws, self._gone
            answer: asyncio.Future = loop.create_future()
            entry = (lambda f: f.type in ("ack", "error") and f.get("ref") == ref, answer)
            self._waiters.append(entry)
            try:
                try:
                    await ws.send(self._encode(sent))
                    # Any later send is the same frame again: the server answers it ``duplicate``
                    # if it took the first (``resent``), rather than applying it twice.
                    sent["resent"] = True
                except ConnectionClosed:
                    if self._ws is ws:  # the reader sees the drop and reopens: again after its game_state
                        self._sendable.clear()
                    continue
                dropped = asyncio.ensure_future(gone.wait())
                try:
                    await asyncio.wait(
                        {answer, dropped}, timeout=max(0.0, deadline - loop.time()), return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    dropped.cancel()
            finally:
                if entry in self._waiters:
                    self._waiters.remove(entry)
            if answer.done():
                got = answer.result()  # SocketClosed if it closed for good
                if got.type == "ack":  # ``duplicate``: taken before, from the frame sent earlier
                    return self.state
                error = error_from_frame(got)
                if error.code == "unavailable":
                    pause = (
                        error.retry_after
                        if error.retry_after is not None and error.retry_after >= 0
                        else UNAVAILABLE_RETRY_SECONDS
                    )
                    if loop.time() + pause < deadline:
                        await asyncio.sleep(pause)
                        continue
                raise error
            if not gone.is_set():
                raise timed_out()

    async def ready(self, *, timeout: float | None = None) -> None:
        """Say I am ready (the game starts when every player is); returns once the server has it.
        Raises the typed error it refuses with (``game_over``, ``forfeited`` ...), or
        ``RequestTimeout`` after ``timeout`` seconds (default: the client's ``request_timeout``)."""
        if self._seat().get("ready"):
            return
        await self._taken({"type": "player_ready"}, timeout)

    async def move(
        self, movement: dict | None = None, *, cell: int | None = None, timeout: float | None = None
    ) -> Frame:
        """Play a move (``player_move {movement}``) and return ``state`` once the room took it (my
        view shows it then); raises the typed error (``not_your_turn``, ``illegal_move``,
        ``invalid``, ``game_not_active`` ...) otherwise, or ``RequestTimeout`` after ``timeout``
        seconds. ``cell`` is tic-tac-toe's shortcut."""
        if movement is None:
            movement = {"cell": cell}
        return await self._taken({"type": "player_move", "movement": movement}, timeout)

    async def action(
        self, action: str, data: dict | None = None, *, wait: bool = True, timeout: float | None = None
    ) -> Frame | None:
        """A mode's action (``game_action {action, data}``). ``wait``: return ``state`` once the room
        took it (an emote changes nothing), or raise the typed error it refused the action with
        (``RequestTimeout`` after ``timeout`` seconds); else only send it."""
        frame = {"type": "game_action", "action": action, "data": data or {}}
        if not wait:
            await self.send(frame)
            return None
        return await self._taken(frame, timeout)

    async def send_input(self, data: dict) -> None:
        """A real-time input (``input {data}``, e.g. arena's ``{dx, dy}``), fire-and-forget: its effect
        comes in the next tick's patch; a refusal (``rate_limited``, ``invalid``) goes to ``"error"`` handlers."""
        await self.send({"type": "input", "data": data})

    async def forfeit(self) -> None:
        """Leave the game for good (``forfeit``): a loss once it started."""
        await self.send({"type": "forfeit"})

    resign = forfeit  # the earlier name

    # --- waiting -----------------------------------------------------------------------

    async def until(self, predicate: Callable[[Frame], bool], *, timeout: float = 30.0) -> Frame:
        """The first ``state`` (the current one included, then after every ``game_state`` and
        ``state_patch``) for which ``predicate`` holds."""
        if self.state is not None and predicate(self.state):
            return self.state
        await self.wait_for(where=lambda f: f.type in CHANGE_TYPES and predicate(self.state), timeout=timeout)
        return self.state

    async def until_my_turn(self, *, timeout: float = 30.0) -> Frame:
        """Wait until the game is active and it is my turn (or the game is over); returns ``state``."""
        return await self.until(lambda s: self.my_turn or self.is_over, timeout=timeout)

    async def until_over(self, *, timeout: float = 30.0) -> Frame:
        """Wait for the end: the final ``game_state`` (``winner_id``, ``reason``, ``players`` with scores)."""
        return await self.until(lambda s: s.get("state") in GAME_OVER_PHASES, timeout=timeout)


class _HistoryRoom(Socket):
    """A room whose messages are stored: replays what arrived while it was down."""

    message_type = ""

    def __init__(self, client: Any, path: str, name: str, history_path: str) -> None:
        super().__init__(client, path, name)
        self.history_path = history_path
        self.last_message_id: int | None = None
        self._live_ids: set[int] = set()  # heard live since the last drop

    def observe(self, frame: Frame) -> None:
        message = frame.get("message") if frame.type == self.message_type else None
        if isinstance(message, dict) and isinstance(message.get("id"), int) and not frame.replayed:
            self.last_message_id = max(self.last_message_id or 0, message["id"])
            self._live_ids.add(message["id"])

    def on_drop(self) -> None:
        self._live_ids.clear()

    async def on_open(self, *, first: bool) -> int:
        if first:
            if self.last_message_id is None:
                page = await self.client.get(self.history_path, params={"page_size": 1})
                ids = [m["id"] for m in page.get("results", [])]
                self.last_message_id = max(ids) if ids else 0
            return 0
        # Messages heard live since reconnecting (while the history was fetched) are not repeated.
        missed = [m for m in await self._messages_after(self.last_message_id or 0) if m["id"] not in self._live_ids]
        for message in missed:
            self._deliver({"type": self.message_type, "message": message}, replayed=True)
        if missed:
            self.last_message_id = max(self.last_message_id or 0, missed[-1]["id"])
        return len(missed)

    async def _messages_after(self, last_id: int) -> list[dict]:
        """Messages with an id above ``last_id``, oldest first (cursor pages: newest page first)."""
        found: dict[int, dict] = {}
        url: str | None = self.history_path
        params: dict | None = {"page_size": 200}
        for _ in range(MAX_CATCH_UP_PAGES):
            page = await self.client.get(url, params=params)
            newer = [m for m in page.get("results", []) if m["id"] > last_id]
            found.update({m["id"]: m for m in newer})
            if len(newer) < len(page.get("results", [])) or not page.get("next"):
                break
            url, params = page["next"], None
        return [found[i] for i in sorted(found)]

    async def history(self, *, page_size: int = 50) -> list[dict]:
        """The newest page of the history, oldest first."""
        return (await self.client.get(self.history_path, params={"page_size": page_size}))["results"]


class _ChatRoom(_HistoryRoom):
    """A members' chat room (a lobby, a group): its state frame (``state_type``, the room under
    ``state_key``) and presence keep ``room`` and ``online_user_ids`` current."""

    message_type = "chat_message"
    state_type = ""
    state_key = ""

    def __init__(self, client: Any, path: str, name: str, history_path: str) -> None:
        super().__init__(client, path, name, history_path)
        self.room: dict = {}
        self.online_user_ids: set[int] = set()

    def observe(self, frame: Frame) -> None:
        super().observe(frame)
        if frame.type == self.state_type:
            self.room = frame.get(self.state_key) or {}
            self.online_user_ids = set(frame.get("online_user_ids") or [])
        elif frame.type == "presence_join":
            self.online_user_ids.add(frame.get("user_id"))
        elif frame.type == "presence_leave":
            self.online_user_ids.discard(frame.get("user_id"))

    async def chat(self, message: str, *, wait: bool = False) -> Frame | None:
        """Say ``message``; ``wait``: return my ``chat_message`` (or raise ``RateLimited`` ...)."""
        frame = {"type": "chat_message", "message": message}
        me, text = self.client.user_id, message.strip()
        return await self.send_or_request(
            frame,
            wait=wait,
            expect=lambda f: (
                f.type == "chat_message"
                and (f.get("message") or {}).get("sender", {}).get("id") == me
                and (f.get("message") or {}).get("content") == text
            ),
        )


class LobbyRoom(_ChatRoom):
    """``/ws/lobbies/{id}/``. ``lobby`` and ``online_user_ids`` come from ``lobby_state``."""

    state_type, state_key = "lobby_state", "lobby"

    def __init__(self, client: Any, lobby_id: int) -> None:
        super().__init__(client, f"/ws/lobbies/{lobby_id}/", f"lobby:{lobby_id}", f"/api/lobbies/{lobby_id}/messages/")
        self.lobby_id = lobby_id

    @property
    def lobby(self) -> dict:
        return self.room

    async def typing(self, active: bool = True) -> None:
        await self.send({"type": "typing_start" if active else "typing_stop"})


class GroupRoom(_ChatRoom):
    """``/ws/groups/{id}/``: a group's chat. ``group`` and ``online_user_ids`` come from ``group_state``."""

    state_type, state_key = "group_state", "group"

    def __init__(self, client: Any, group_id: int) -> None:
        super().__init__(client, f"/ws/groups/{group_id}/", f"group:{group_id}", f"/api/groups/{group_id}/messages/")
        self.group_id = group_id

    @property
    def group(self) -> dict:
        return self.room


class DMRoom(_HistoryRoom):
    """``/ws/dm/{user_id}/``: the message channel with one friend."""

    message_type = "dm_message"

    def __init__(self, client: Any, user_id: int) -> None:
        super().__init__(client, f"/ws/dm/{user_id}/", f"dm:{user_id}", f"/api/dm/{user_id}/messages/")
        self.peer_id = user_id

    async def send_message(self, content: str, *, wait: bool = True) -> Frame | None:
        """Send ``content``; ``wait``: return the stored message's ``dm_message`` frame."""
        frame = {"type": "dm_message", "content": content}
        me = self.client.user_id
        return await self.send_or_request(
            frame,
            wait=wait,
            expect=lambda f: (
                f.type == "dm_message"
                and (f.get("message") or {}).get("sender_id") == me
                and (f.get("message") or {}).get("content") == content.strip()
            ),
        )

    async def mark_read(self) -> None:
        await self.send({"type": "dm_read"})


class NotificationsSocket(Socket):
    """``/ws/notifications/``: ``badge`` is the latest badge frame."""

    def __init__(self, client: Any) -> None:
        super().__init__(client, "/ws/notifications/", "notifications")
        self.badge: Frame | None = None
        self.last_notification_id: int | None = None
        self.matched_game_ids: set[int] = set()
        self._live_ids: set[int] = set()  # heard live since the last drop

    def on_drop(self) -> None:
        self._live_ids.clear()

    def _dispatch(self, kind: str, event: Any) -> None:
        super()._dispatch(kind, event)
        if kind == "notification" and event.get("kind") == "sanction":  # handlers of "sanction" too
            super()._dispatch(MessageType.SANCTION.value, event)

    def observe(self, frame: Frame) -> None:
        if frame.type == "badge":
            self.badge = frame
        elif frame.type == "notification" and isinstance(frame.get("id"), int) and not frame.replayed:
            self.last_notification_id = max(self.last_notification_id or 0, frame["id"])
            self._live_ids.add(frame["id"])
        elif frame.type == "match_found":
            self.matched_game_ids.add(frame.get("game_id"))
            self.client._queued_mode = None
        elif frame.type == "match_cancelled":  # queued again: a match made while away is asked for on reconnect
            self.client._queued_mode = self.client._last_queue_mode

    async def on_open(self, *, first: bool) -> int:
        if first:
            if self.last_notification_id is None:
                self.last_notification_id = await _newest_id(self.client, "/api/notifications/")
            return 0
        replayed, last = 0, self.last_notification_id or 0
        page = await self.client.get("/api/notifications/", params={"unread": 1, "page_size": 200})
        for item in sorted(page.get("results", []), key=lambda n: n["id"]):
            if item["id"] > last and item["id"] not in self._live_ids:
                self._deliver({"type": "notification", **item}, replayed=True)
                self.last_notification_id = max(self.last_notification_id or 0, item["id"])
                replayed += 1
        if self.client._queued_mode is not None:
            status = await self.client.queue_status()
            game_id = status.get("game_id")
            if status.get("status") == "matched" and game_id and game_id not in self.matched_game_ids:
                self._deliver({"type": "match_found", "game_id": game_id}, replayed=True)
                replayed += 1
        return replayed


class WorldSocket(Socket):
    """``/ws/world/``: the selected character in the world. ``character``, ``location``,
    ``nearby`` (characters in my area, kept up to date) and ``world`` come from ``welcome``."""

    def __init__(self, client: Any, protocol_version: int = 1) -> None:
        super().__init__(client, "/ws/world/", "world")
        self.path = f"/ws/world/?v={protocol_version}"
        self.character: dict = {}
        self.location: dict = {}
        self.nearby: dict[int, dict] = {}
        self.world: dict = {}
        self.party: dict | None = None
        self.last_event_id: int | None = None
        self._live_captures: set[int] = set()  # live ``shard_captured`` frames carry no event id
        self._live_event_ids: set[int] = set()  # heard live since the last drop

    def observe(self, frame: Frame) -> None:
        kind = frame.type
        if isinstance(frame.get("event_id"), int) and not frame.replayed:
            self.last_event_id = max(self.last_event_id or 0, frame["event_id"])
            self._live_event_ids.add(frame["event_id"])
        if kind == "shard_captured" and not frame.replayed:
            self._live_captures.add((frame.get("shard") or {}).get("id"))
        if kind == "welcome":
            self.character = frame.get("character") or {}
            self.location = frame.get("location") or {}
            self.world = frame.get("world") or {}
            self.nearby = {c.get("character_id", c.get("id")): c for c in frame.get("nearby") or []}
        elif kind == "nearby":
            self.nearby = {c.get("character_id", c.get("id")): c for c in frame.get("characters") or []}
        elif kind == "player_joined_area":
            character = frame.get("character") or {}
            self.nearby[character.get("character_id", character.get("id"))] = character
        elif kind == "player_left_area":
            self.nearby.pop(frame.get("character_id"), None)
        elif kind == "character_update":
            self.character = frame.get("character") or self.character
        elif kind == "location_update" and frame.get("character_id") == self.character.get("id"):
            self.character = {**self.character, "location_id": frame.get("to_location_id")}
        elif kind == "location_update" and frame.get("to_location_id") != self.character.get("location_id"):
            self.nearby.pop(frame.get("character_id"), None)  # ``player_left_area`` follows
        elif kind == "party_update":
            self.party = frame.get("party")
        elif kind == "reality_shift":
            self.world = {**self.world, "current_reality": frame.get("reality")}

    def on_drop(self) -> None:
        self._live_event_ids = set()

    async def on_open(self, *, first: bool) -> int:
        if first:
            if self.last_event_id is None:
                self.last_event_id = await _newest_id(self.client, "/api/world/events/")
            return 0
        page = await self.client.get("/api/world/events/", params={"page_size": 200})
        last, live = self.last_event_id or 0, self._live_event_ids
        missed = sorted((e for e in page.get("results", []) if e["id"] > last and e["id"] not in live), key=_id)
        if missed:
            self.last_event_id = max(last, missed[-1]["id"])
        replayed = 0
        for event in missed:
            shard_id = (event.get("payload") or {}).get("shard_id")
            if event.get("kind") == "shard_captured" and shard_id in self._live_captures:
                self._live_captures.discard(shard_id)  # heard live before the gap
                continue
            if event.get("kind") == "reality_shift":
                self.world = {**self.world, "current_reality": (event.get("payload") or {}).get("reality")}
            self._deliver({"type": "world_event", "event": event}, replayed=True)
            replayed += 1
        return replayed

    # seed 002's calls
    async def chat(self, message: str, channel: str = "global", *, wait: bool = False) -> Frame | None:
        frame = {"type": "chat", "channel": channel, "message": message}
        me = self.character.get("id")
        return await self.send_or_request(
            frame,
            wait=wait,
            expect=lambda f: f.type == "chat" and (f.get("sender") or {}).get("character_id") == me,
        )

    async def whisper(self, to: str, message: str) -> None:
        await self.send({"type": "whisper", "to": to, "message": message})

    async def move(self, to_location_id: int, *, wait: bool = True) -> Frame | None:
        """Move to a neighbour; ``wait``: return my ``location_update`` (or raise ``illegal_move``,
        ``RateLimited`` ...)."""
        frame = {"type": "move", "to_location_id": to_location_id}
        me = self.character.get("id")
        return await self.send_or_request(
            frame,
            wait=wait,
            expect=lambda f: (
                f.type == "location_update"
                and f.get("character_id") == me
                and f.get("to_location_id") == to_location_id
            ),
        )

    async def position_update(self, position: dict, velocity: dict | None = None) -> None:
        await self.send(
            {"type": "position_update", "position": position, "velocity": velocity or {"x": 0, "y": 0, "z": 0}}
        )

    async def combat_start(self, kind: str, target_id: int) -> Frame:
        return await self.request(
            {"type": "combat_start", "target": {"kind": kind, "id": target_id}},
            expect=lambda f: f.type == "combat_start",
        )

    async def combat_action(
        self,
        combat_id: int,
        action_type: str = "attack",
        target_id: int | None = None,
        ability_name: str | None = None,
        item_id: int | None = None,
    ) -> None:
        frame: dict = {"type": "combat_action", "combat_id": combat_id, "action_type": action_type}
        for key, value in (("target_id", target_id), ("ability_name", ability_name), ("item_id", item_id)):
            if value is not None:
                frame[key] = value
        await self.send(frame)

    async def capture_shard(self, shard_id: int) -> None:
        await self.send({"type": "shard_capture", "shard_id": shard_id})

    async def trade(self, kind: str, **fields: Any) -> None:
        """Trading frames: ``trade("request", to_character_id=...)``, ``trade("update", trade_id=...,
        items=[...], gold=...)``, ``accept`` / ``decline`` / ``confirm`` / ``cancel`` with ``trade_id``."""
        await self.send({"type": f"trade_{kind}", **fields})


class BattleRoom(Socket):
    """``/ws/battle/{id}/``: ``battle`` is the state from ``connected``, hp kept up to date."""

    def __init__(self, client: Any, battle_id: int) -> None:
        super().__init__(client, f"/ws/battle/{battle_id}/", f"battle:{battle_id}")
        self.battle_id = battle_id
        self.battle: dict = {}

    def observe(self, frame: Frame) -> None:
        if frame.type == "connected":
            self.battle = frame.get("battle") or {}
        elif frame.type == "attack" and "enemy_hp" in frame:
            self.battle = {**self.battle, "hp": frame["enemy_hp"]}

    async def attack(self) -> None:
        await self.send({"type": "attack"})

    async def chat(self, message: str) -> None:
        await self.send({"type": "chat", "message": message})


def _id(item: dict) -> int:
    return item["id"]

"""``GameClient``: the platform's REST API and sockets from asyncio code.

Shaped after seed 002's ``NetworkClient`` (``connect``, ``register_handler``,
``get_characters``, ``select_character``, ``send_chat``, ``get_world_state``, ``send_move``,
``send_position_update``, ``send_combat_action``, ``get_nearby_players``, ``disconnect``) and
extended to the rest of the platform. REST calls return the decoded JSON (lists: the
``results`` of the first page; ``pages()`` walks them all) or raise an ``ApiError``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import json
import locale
import logging
import math
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from .errors import ConnectionFailed, NotConnected, Unauthorized, Unavailable, error_from_response
from .frames import Frame, MessageType, type_key
from .liveops import LiveOps
from .rooms import BattleRoom, DMRoom, GameRoom, GroupRoom, LobbyRoom, NotificationsSocket, WorldSocket
from .sockets import ReconnectPolicy, Socket

logger = logging.getLogger("gameplatform_client")


def system_locale() -> str:
    """The system's locale as a language tag (``fr_FR`` → ``fr-FR``), empty when it has none."""
    name = locale.getlocale()[0] or ""
    return "" if name in ("C", "POSIX") else name.replace("_", "-")


def system_timezone() -> str:
    """The system's IANA time zone (``TZ``, else ``/etc/localtime``'s link), else its abbreviation."""
    zone = os.environ.get("TZ", "").lstrip(":")
    if not zone:
        with contextlib.suppress(OSError):
            zone = os.path.realpath("/etc/localtime").partition("/zoneinfo/")[2]
    return zone or time.tzname[0]


# While play() waits for a match it asks the queue's status this often (the server keeps a queued
# player with no socket for QUEUE_ALIVE_SECONDS, 5 by default, after their last request).
QUEUE_CHECK_SECONDS = 3.0


def _left(deadline: float) -> float:
    """Seconds until ``deadline`` (``time.monotonic``), never below a moment."""
    return max(0.01, deadline - time.monotonic())


def jwt_claims(token: str) -> dict:
    """The payload of a JWT, unverified (the client only reads ``exp`` and ``user_id``)."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


class GameClient:
    """One user's connection to a gameplatform server.

    ``base_url``: ``http(s)://host:port``. ``reconnect``: the backoff of every socket.
    ``ws_auth``: ``"ticket"`` (a one-time ticket per connection, the default) or ``"header"``
    (``Authorization: Bearer``; the server then closes the socket 4401 when that access token
    expires, and the socket reconnects with a fresh one).
    ``refresh_margin``: refresh the access token when fewer seconds than this (at most a
    quarter of its lifetime) remain before its ``exp``. ``ping_interval``: keepalive pings,
    so a dead connection is noticed within twice this. ``encoding``: ``"json"`` (the default)
    or ``"msgpack"``: every socket asks for the ``gameplatform.msgpack`` subprotocol, and its
    frames travel as binary MessagePack (the same frames, fewer bytes); or ``"compact"``: the
    ``gameplatform.compact`` subprotocol, MessagePack with short decimals and compact state
    patches (a 4-player arena patch in about 100 bytes, against 400 as JSON), decoded into the
    same frames.
    ``request_timeout``: how long a socket request (a game room's ``ready``, ``move``, ``action``)
    waits for its answer, resends included, before it raises ``RequestTimeout`` (default:
    ``timeout``); each call's ``timeout=`` overrides it.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = 10.0,
        reconnect: ReconnectPolicy | None = None,
        refresh_margin: float = 60.0,
        ping_interval: float | None = 10.0,
        retries_on_unavailable: int = 2,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        ws_auth: str = "ticket",
        encoding: str = "json",
        request_timeout: float | None = None,
        client_attributes: dict | None = None,
    ) -> None:
        if ws_auth not in ("ticket", "header"):
            raise ValueError("ws_auth is 'ticket' or 'header'")
        if encoding not in ("json", "msgpack", "compact"):
            raise ValueError("encoding is 'json', 'msgpack' or 'compact'")
        self.ws_auth = ws_auth
        self.encoding = encoding
        # What this client says about itself after each sign-in (``PUT /api/liveops/attributes/``):
        # ``platform``, ``app_version``, ``locale``, ``timezone`` (the last two default to the
        # system's). None: nothing (the SDK's bots and tools; a game client passes its own).
        self.client_attributes = client_attributes
        self.base_url = base_url.rstrip("/")
        scheme, rest = self.base_url.split("://", 1)
        self.ws_url = f"{'wss' if scheme == 'https' else 'ws'}://{rest}"
        self.timeout = timeout
        self.request_timeout = timeout if request_timeout is None else request_timeout
        if not 0 < self.request_timeout < math.inf:
            raise ValueError("request_timeout is a number of seconds above 0")
        self.reconnect = reconnect or ReconnectPolicy()
        self.refresh_margin = refresh_margin
        self.ping_interval = ping_interval
        self.retries_on_unavailable = retries_on_unavailable
        self.clock = clock  # wall clock compared with the token's ``exp``
        self._http = http or httpx.AsyncClient(base_url=self.base_url, timeout=timeout)
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.user_id: int | None = None
        self.username: str | None = None
        self._refresh_lock = asyncio.Lock()
        self._handlers: dict[str, list[Callable]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._sockets: dict[str, Socket] = {}
        self._queued_mode: str | None = None
        self._last_queue_mode: str | None = None  # the mode of my last join (a match called off queues me again)
        self.notifications: NotificationsSocket | None = None
        self.world: WorldSocket | None = None
        self._liveops: LiveOps | None = None

    async def __aenter__(self) -> GameClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    # --- tokens ------------------------------------------------------------------------

    def use_tokens(self, access: str, refresh: str | None = None) -> GameClient:
        """Act with tokens obtained elsewhere (without ``refresh`` nothing can be refreshed)."""
        self.access_token, self.refresh_token = access, refresh
        claims = jwt_claims(access)
        if claims.get("user_id") is not None:
            self.user_id = int(claims["user_id"])
        return self

    @property
    def access_expires_at(self) -> float | None:
        """The access token's ``exp`` (Unix time), read from the token."""
        exp = jwt_claims(self.access_token or "").get("exp")
        return float(exp) if exp is not None else None

    def _needs_refresh(self) -> bool:
        claims = jwt_claims(self.access_token or "")
        if not self.refresh_token or "exp" not in claims:
            return False
        lifetime = float(claims["exp"]) - float(claims.get("iat", claims["exp"]))
        margin = min(self.refresh_margin, lifetime / 4) if lifetime > 0 else self.refresh_margin
        return float(claims["exp"]) - self.clock() < margin

    async def refresh_tokens(self, *, force: bool = True) -> None:
        """Swap the refresh token for a new pair (refresh tokens rotate: the old one is dead).
        Concurrent callers share one refresh."""
        before = self.access_token
        async with self._refresh_lock:
            if self.access_token != before or (not force and not self._needs_refresh()):
                return  # somebody refreshed while we waited
            if not self.refresh_token:
                raise Unauthorized("No refresh token: log in again.", status=401, code="not_authenticated")
            body = await self.request("POST", "/api/auth/refresh/", json={"refresh": self.refresh_token}, auth=False)
            self.use_tokens(body["access"], body.get("refresh", self.refresh_token))

    async def _bearer(self) -> dict:
        if self._needs_refresh():
            await self.refresh_tokens(force=False)
        if not self.access_token:
            raise Unauthorized("Not logged in.", status=401, code="not_authenticated")
        return {"Authorization": f"Bearer {self.access_token}"}

    # --- REST --------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        headers: dict | None = None,
        auth: bool = True,
        retry: bool | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> Any:
        """One REST call; the decoded answer, or the contract's error as an ``ApiError``.
        A 503 (``unavailable`` / ``overloaded``: nothing was done) is retried after its
        ``Retry-After`` for reads and for writes carrying an ``Idempotency-Key``; a 401 on
        an expired access token is refreshed once and retried. ``on_response`` sees each answer
        (its headers); a 304 (asked with ``If-None-Match``) returns None."""
        retry = (method == "GET" or bool(headers and "Idempotency-Key" in headers)) if retry is None else retry
        refreshed = False
        attempt = 0
        while True:
            sent = dict(headers or {})
            if auth:
                sent.update(await self._bearer())
            try:
                response = await self._http.request(method, path, json=json, params=params, headers=sent)
            except httpx.TransportError as exc:
                raise ConnectionFailed(f"{method} {path}: {exc!r}") from exc
            if on_response is not None:
                on_response(response)
            if response.status_code < 400:
                if response.status_code in (204, 205) or not response.content:
                    return None
                return response.json()
            error = error_from_response(response.status_code, _body(response), response.headers)
            if response.status_code == 401 and auth and self.refresh_token and not refreshed:
                refreshed = True
                await self.refresh_tokens()
                continue
            if isinstance(error, Unavailable) and retry and attempt < self.retries_on_unavailable:
                attempt += 1
                await asyncio.sleep(min(error.retry_after or 1.0, self.timeout))
                continue
            raise error

    async def get(self, path: str, params: dict | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return await self.request("POST", path, json=json, **kwargs)

    async def delete(self, path: str) -> Any:
        return await self.request("DELETE", path)

    async def _list(self, path: str, params: dict | None = None) -> list:
        return _results(await self.get(path, params))

    async def pages(self, path: str, params: dict | None = None) -> AsyncIterator[Any]:
        """Every item of a paginated list, following ``next`` links."""
        url: str | None = path
        while url:
            page = await self.get(url, params)
            for item in _results(page):
                yield item
            url, params = (page.get("next") if isinstance(page, dict) else None), None

    # --- accounts ----------------------------------------------------------------------

    async def register(self, username: str, password: str, *, email: str | None = None) -> dict:
        """Create an account and act as it; returns the user."""
        body = await self.request(
            "POST",
            "/api/auth/register/",
            json={
                "username": username,
                "email": email or f"{username}@example.com",
                "password": password,
                "password_confirm": password,
            },
            auth=False,
        )
        self.use_tokens(body["access"], body["refresh"])
        await self._say_who_i_am()
        self.username = body["user"]["username"]
        return body["user"]

    async def login(self, username: str, password: str) -> dict:
        """Log in (username or email); returns ``{access, refresh}``."""
        body = await self.request(
            "POST", "/api/auth/login/", json={"username": username, "password": password}, auth=False
        )
        self.use_tokens(body["access"], body["refresh"])
        await self._say_who_i_am()
        self.username = username
        return body

    async def device_login(self, device_id: str) -> dict:
        """Log in as the guest of a device (16-128 characters the app keeps), made on first use;
        returns ``{user, created}``. After ``link_account`` the device logs into the full account."""
        body = await self.request("POST", "/api/auth/device/", json={"device_id": device_id}, auth=False)
        self.use_tokens(body["access"], body["refresh"])
        await self._say_who_i_am()
        self.username = body["user"]["username"]
        return {"user": body["user"], "created": body["created"]}

    async def _say_who_i_am(self) -> None:
        """After a sign-in: what this client is (``client_attributes``), for the flags' rules and
        live events. A failure to send never fails the sign-in."""
        if self.client_attributes is None:
            return
        given = self.client_attributes
        body: dict = {
            "platform": given.get("platform", "python"),
            "custom": {
                "locale": given.get("locale", system_locale()),
                "timezone": given.get("timezone", system_timezone()),
            },
        }
        if given.get("app_version"):
            body["app_version"] = given["app_version"]
        try:
            await self.request("PUT", "/api/liveops/attributes/", json=body)
        except Exception:  # a server without live operations, or a moment's failure: the sign-in holds
            logger.info("the client's attributes were not sent after the sign-in", exc_info=True)

    async def link_account(self, username: str, password: str, *, email: str) -> dict:
        """Make this guest a full account (the same user id and everything it owns); returns the user.
        The contract requires the email: none is made up."""
        body = await self.post("/api/auth/link/", {"username": username, "email": email, "password": password})
        self.username = body["user"]["username"]
        return body["user"]

    async def connect(
        self, username: str, password: str, *, notifications: bool = True, world: bool = True
    ) -> GameClient:
        """Seed 002's ``connect``: log in, open the notification socket and, when the user has a
        selected character, the world socket."""
        await self.login(username, password)
        await self.open_sockets(notifications=notifications, world=world)
        return self

    async def open_sockets(self, *, notifications: bool = True, world: bool = True) -> None:
        if notifications and self.notifications is None:
            self.notifications = await self._start(NotificationsSocket(self))
        if world and self.world is None and any(c.get("selected") for c in await self.get_characters()):
            self.world = await self._start(WorldSocket(self))

    async def logout(self) -> None:
        if self.refresh_token:
            await self.request("POST", "/api/auth/logout/", json={"refresh": self.refresh_token})
        self.access_token = self.refresh_token = None

    async def disconnect(self) -> None:
        """Close every socket and the HTTP client (events ``liveops.track`` queued and not flushed are not sent)."""
        if self._liveops is not None:
            await self._liveops.close()
        # Together: each close may wait up to websockets' close timeout for the server's half of
        # the handshake, and one after another a client of three sockets could take 30 s to stop.
        # One close that fails leaves the others to finish and the HTTP client still closed.
        closed = await asyncio.gather(*(s.close() for s in list(self._sockets.values())), return_exceptions=True)
        for failure in (c for c in closed if isinstance(c, BaseException)):
            logger.warning("a socket did not close cleanly: %r", failure)
        for task in list(self._tasks):
            task.cancel()
        await self._http.aclose()

    async def ws_ticket(self) -> str:
        """A one-time WebSocket ticket (30 s)."""
        return (await self.post("/api/auth/ws-ticket/"))["ticket"]

    async def me(self) -> dict:
        me = await self.get("/api/me/")
        self.user_id, self.username = me["id"], me["username"]
        return me

    get_profile = me

    async def update_me(self, **fields: Any) -> dict:
        return await self.request("PATCH", "/api/me/", json=fields)

    async def set_age(
        self,
        *,
        birth_date: str | None = None,
        band: str | None = None,
        source: str | None = None,
        app_transaction: str | None = None,
    ) -> dict:
        """``PUT /api/me/age/``: a birth date the player declares (``"2012-05-01"``), or the band a
        store gave the app (``band="13_15", source="apple"`` from Declared Age Range, with
        ``app_transaction``, the AppTransaction's JWS; ``source="google"`` from Play Age Signals).
        ``{age_band, age_source}``; ``Conflict`` ``age_locked`` when a declaration would raise the band."""
        fields = {"birth_date": birth_date, "band": band, "source": source, "app_transaction": app_transaction}
        return await self.request("PUT", "/api/me/age/", json={k: v for k, v in fields.items() if v is not None})

    async def search_users(self, search: str) -> list:
        return await self._list("/api/users/", {"search": search})

    async def get_user(self, user_id: int) -> dict:
        return await self.get(f"/api/users/{user_id}/")

    async def server_status(self) -> dict:
        return await self.request("GET", "/api/status/", auth=False)

    # --- events ------------------------------------------------------------------------

    def register_handler(self, kind: str | MessageType, fn: Callable) -> Callable[[], None]:
        """Call ``fn(frame)`` for frames of ``kind`` from every socket (``frame.source`` says
        which); ``fn`` may be sync or async. ``"error"`` handlers get an ``ErrorEvent``,
        ``"disconnected"`` / ``"reconnected"`` handlers the events of those names, ``"*"``
        handlers everything. Returns a function that unregisters it."""
        key = type_key(kind)
        self._handlers.setdefault(key, []).append(fn)
        return lambda: self._handlers.get(key, []).remove(fn)

    def _dispatch(self, kind: str, event: Any) -> None:
        for fn in [*self._handlers.get(kind, ()), *self._handlers.get("*", ())]:
            self._call(fn, event)

    def _call(self, fn: Callable, event: Any) -> None:
        try:
            result = fn(event)
        except Exception:
            logger.exception("handler %r failed", fn)
            return
        if inspect.isawaitable(result):
            # Async handlers run as tasks, so a handler may await the same socket's frames.
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._handler_done)

    def _handler_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("async handler failed", exc_info=task.exception())

    async def _start(self, socket: Socket) -> Any:
        old = self._sockets.get(socket.name)
        if old is not None:
            await old.close()
        self._sockets[socket.name] = socket
        try:
            return await socket.start()
        except BaseException:
            self._sockets.pop(socket.name, None)
            raise

    def _forget(self, socket: Socket) -> None:
        if self._sockets.get(socket.name) is socket:
            del self._sockets[socket.name]
        if self.world is socket:
            self.world = None
        if self.notifications is socket:
            self.notifications = None

    def socket(self, name: str) -> Socket | None:
        """An open socket by name (``"world"``, ``"game:12"``, ``"lobby:3"`` ...)."""
        return self._sockets.get(name)

    # --- world (seed 002) --------------------------------------------------------------

    def _world(self) -> WorldSocket:
        if self.world is None:
            raise NotConnected("The world socket is not open: select a character first.")
        return self.world

    async def get_factions(self) -> list:
        return await self._list("/api/world/factions/")

    async def get_characters(self) -> list:
        return await self._list("/api/characters/")

    async def create_character(self, name: str, faction: str | int) -> dict:
        return await self.post("/api/characters/", {"name": name, "faction": faction})

    async def delete_character(self, character_id: int) -> None:
        await self.delete(f"/api/characters/{character_id}/")

    async def select_character(self, character_id: int, *, enter_world: bool = True) -> dict:
        """Select a character and (re)open the world socket with it."""
        character = await self.post("/api/characters/select/", {"character_id": character_id})
        if enter_world:
            await self.enter_world()
        return character

    async def enter_world(self, *, protocol_version: int = 1) -> WorldSocket:
        """Open (or reopen) the world socket with the selected character."""
        if self.world is not None:
            await self.world.close()
        self.world = await self._start(WorldSocket(self, protocol_version))
        return self.world

    async def get_world_state(self) -> dict:
        return await self.get("/api/world/state/")

    async def get_shards(self) -> list:
        return await self._list("/api/world/shards/")

    async def get_world_events(self) -> list:
        return await self._list("/api/world/events/")

    async def get_locations(self) -> list:
        return await self._list("/api/world/locations/")

    async def get_nearby_players(self, location_id: int) -> list:
        """The characters in that area now (``world.nearby`` keeps my own area's list live)."""
        return await self._list(f"/api/world/locations/{location_id}/players/")

    async def send_chat(self, message: str, channel: str = "global", *, wait: bool = False) -> Frame | None:
        return await self._world().chat(message, channel, wait=wait)

    async def send_whisper(self, to: str, message: str) -> None:
        await self._world().whisper(to, message)

    async def send_move(
        self, to_location_id: int, from_location_id: int | None = None, *, wait: bool = True
    ) -> Frame | None:
        """Move to a neighbouring location (``from_location_id`` is seed 002's and not needed:
        the server knows where the character stands)."""
        return await self._world().move(to_location_id, wait=wait)

    async def send_position_update(self, position: dict, velocity: dict | None = None) -> None:
        await self._world().position_update(position, velocity)

    async def send_combat_action(
        self,
        combat_id: int,
        action_type: str = "attack",
        target_id: int | None = None,
        ability_name: str | None = None,
        item_id: int | None = None,
    ) -> None:
        await self._world().combat_action(combat_id, action_type, target_id, ability_name, item_id)

    async def start_combat(self, kind: str, target_id: int) -> Frame:
        return await self._world().combat_start(kind, target_id)

    async def capture_shard(self, shard_id: int) -> None:
        await self._world().capture_shard(shard_id)

    async def create_party(self) -> dict:
        return await self.post("/api/party/create/")

    async def get_party(self, party_id: int) -> dict:
        return await self.get(f"/api/party/{party_id}/")

    async def invite_to_party(self, character_id: int) -> dict:
        return await self.post("/api/party/invite/", {"character_id": character_id})

    async def leave_party(self) -> dict:
        return await self.post("/api/party/leave/")

    async def kick_from_party(self, character_id: int) -> dict:
        return await self.post("/api/party/kick/", {"character_id": character_id})

    async def disband_party(self) -> dict:
        return await self.post("/api/party/disband/")

    async def get_trades(self) -> list:
        return await self._list("/api/trades/")

    # --- matchmaking, invites, games ---------------------------------------------------

    async def join_queue(self, mode: str = "tictactoe") -> dict:
        """``{status: "queued", position}`` or ``{status: "matched", game_id}``."""
        answer = await self.post("/api/matchmaking/join/", {"mode": mode})
        self._queued_mode = mode if answer.get("status") == "queued" else None
        self._last_queue_mode = mode
        return answer

    async def leave_queue(self) -> dict:
        self._queued_mode = None
        return await self.post("/api/matchmaking/leave/")

    async def queue_status(self) -> dict:
        return await self.get("/api/matchmaking/status/")

    async def wait_for_match(self, *, timeout: float = 30.0) -> int:
        """The game id of my match: from ``match_found`` on the notification socket, or from
        the queue status if the match came before this call."""
        notifications = self.notifications or await self._open_notifications()
        waiting = asyncio.ensure_future(notifications.wait_for("match_found", timeout=timeout))
        await asyncio.sleep(0)
        status = await self.queue_status()
        if status.get("status") == "matched" and status.get("game_id"):
            waiting.cancel()
            self._queued_mode = None
            return int(status["game_id"])
        return int((await waiting)["game_id"])

    async def _open_notifications(self) -> NotificationsSocket:
        self.notifications = await self._start(NotificationsSocket(self))
        return self.notifications

    async def play(self, mode: str = "tictactoe", *, timeout: float = 30.0) -> GameRoom:
        """Queue, wait for the match and open the game socket; the room comes back once every
        player of the match has come (the game left ``waiting_for_players``). A match called off
        on the way (a player never came: ``match_cancelled``; the server queued me again with my
        wait) is closed and the next one waited for, all within ``timeout``; so is a match I came
        to too late (then I join the queue again)."""
        deadline = time.monotonic() + timeout
        answer = await self.join_queue(mode)
        game_id = answer.get("game_id") if answer.get("status") == "matched" else None
        try:
            while True:
                room = await self.join_game(game_id or await self._next_match(mode, deadline, timeout))
                if await self._match_holds(room, timeout=_left(deadline)):
                    return room
                await room.close()
                game_id = None
        except TimeoutError:
            # Given up: out of the queue, so that nobody is matched with a client no longer looking.
            with contextlib.suppress(Exception):
                await self.leave_queue()
            raise

    async def _next_match(self, mode: str, deadline: float, timeout: float) -> int:
        """My next match: ``match_found``, or the queue status, asked every ``QUEUE_CHECK_SECONDS``
        meanwhile (a frame lost in a drop is found there, and asking keeps me queued without a
        socket); a queue that no longer has me (I came to a match too late, or was away longer
        than the server keeps an absent player) is joined again."""
        notifications = self.notifications or await self._open_notifications()
        while True:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no match within {timeout} s")
            waiting = asyncio.ensure_future(
                notifications.wait_for("match_found", timeout=min(QUEUE_CHECK_SECONDS, _left(deadline)))
            )
            try:
                await asyncio.sleep(0)
                status = await self.queue_status()
                if status.get("status") == "idle":
                    status = await self.join_queue(mode)
                if status.get("status") == "matched" and status.get("game_id"):
                    self._queued_mode = None
                    return int(status["game_id"])
                with contextlib.suppress(TimeoutError):
                    return int((await waiting)["game_id"])
            finally:
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await waiting

    async def _match_holds(self, room: GameRoom, *, timeout: float) -> bool:
        """True once every player of ``room``'s match has come; False when the match is called off
        (``match_cancelled`` for it on the notification socket, or the game abandoned before its start)."""
        notifications = self.notifications or await self._open_notifications()
        called_off = asyncio.ensure_future(
            notifications.wait_for("match_cancelled", where=lambda f: f.get("game_id") == room.game_id, timeout=timeout)
        )
        came = asyncio.ensure_future(room.until(lambda s: s.get("state") != "waiting_for_players", timeout=timeout))
        try:
            done, _ = await asyncio.wait({called_off, came}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in (called_off, came):
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await waiting
        if came in done and came.exception() is None:
            # Not a match I came too late to (a game of three or more goes on without a player
            # who missed its window, their seat forfeited): that one is joined again.
            mine = [p for p in room.players if p.get("id") == self.user_id]
            return room.phase != "abandoned" and not (mine and mine[0].get("forfeited"))
        if called_off in done and called_off.exception() is None:
            return False
        raise (came if came in done else called_off).exception()

    async def join_game(self, game_id: int) -> GameRoom:
        """Open the game's socket (players only); ``room.state`` is its ``game_state``, ``room.view`` my view."""
        return await self._start(GameRoom(self, game_id))

    @contextlib.asynccontextmanager
    async def game(self, game_id: int) -> AsyncIterator[GameRoom]:
        """``async with client.game(id) as game:`` the game's room, closed on leaving the block."""
        room = await self.join_game(game_id)
        try:
            yield room
        finally:
            await room.close()

    async def list_games(self) -> list:
        return await self._list("/api/games/")

    async def get_game(self, game_id: int) -> dict:
        return await self.get(f"/api/games/{game_id}/")

    async def get_replay(self, game_id: int) -> dict:
        """A finished game's replay: seed, players, inputs, result, and ``steps`` (every step its
        room took), to play again with the mode's code (``gameplatform.modes.testing.replayed``)."""
        return await self.get(f"/api/games/{game_id}/replay/")

    async def get_replay_frames(self, game_id: int, start: int = 0, end: int | None = None) -> dict:
        """What a spectator saw of a finished game, change by change (a page: ``results``, ``next``)."""
        params = {"from": start, **({"to": end} if end is not None else {})}
        return await self.get(f"/api/games/{game_id}/replay/frames/", params=params)

    async def leaderboard(self, mode: str = "tictactoe") -> list:
        return await self._list("/api/leaderboard/", {"mode": mode})

    # --- leaderboards and tournaments ----------------------------------------------------

    async def list_leaderboards(self) -> list:
        """Every board that is not a tournament's, by id (all the pages)."""
        return [b async for b in self.pages("/api/leaderboards/", {"page_size": 200})]

    async def create_leaderboard(
        self,
        board_id: str,
        *,
        sort: str = "desc",
        operator: str = "best",
        reset: str | None = None,
        authoritative: bool = False,
        metadata: dict | None = None,
    ) -> dict:
        """Admins only; ``reset`` a 5-field cron (UTC) or None."""
        body = {"id": board_id, "sort": sort, "operator": operator, "reset": reset, "authoritative": authoritative}
        return await self.post("/api/leaderboards/", {**body, "metadata": metadata or {}})

    async def write_record(self, board_id: str, score: int, metadata: dict | None = None) -> dict:
        """My record after the board's operator: ``{rank, user, score, metadata, reached_at, updated_at}``."""
        return await self.post(f"/api/leaderboards/{board_id}/records/", {"score": score, "metadata": metadata or {}})

    async def leaderboard_records(
        self, board_id: str, *, around_me: bool = False, limit: int = 20, period: str | int | None = None
    ) -> list:
        """The top (or the page around my record); ``period="previous"`` reads the archive of the last reset.
        The page's rows; ``pages()`` on the same route follows its ``next`` links down the board."""
        params: dict = {"limit": limit, "around_me": int(around_me)}
        if period is not None:
            params["period"] = period
        return await self._list(f"/api/leaderboards/{board_id}/records/", params)

    async def list_tournaments(self) -> list:
        """Every tournament, the latest to start first (all the pages)."""
        return [t async for t in self.pages("/api/tournaments/", {"page_size": 200})]

    async def get_tournament(self, tournament_id: str) -> dict:
        return await self.get(f"/api/tournaments/{tournament_id}/")

    async def create_tournament(self, tournament_id: str, *, start: str, end: str, **fields: Any) -> dict:
        """Admins only; ``fields``: title, sort, operator, max_entries, entry_fee, rewards."""
        return await self.post("/api/tournaments/", {"id": tournament_id, "start": start, "end": end, **fields})

    async def join_tournament(self, tournament_id: str) -> dict:
        """Pays the entry fee once; short of gold: ``ApiError`` with status 402, code ``insufficient_funds``."""
        return await self.post(f"/api/tournaments/{tournament_id}/join/")

    async def send_invite(
        self, to_user_id: int, kind: str = "game", *, mode: str | None = None, lobby_id: int | None = None
    ) -> dict:
        body: dict = {"to_user_id": to_user_id, "kind": kind}
        if mode is not None:
            body["mode"] = mode
        if lobby_id is not None:
            body["lobby_id"] = lobby_id
        return await self.post("/api/invites/", body)

    async def list_invites(self, box: str = "inbox") -> list:
        return await self._list("/api/invites/", {"box": box})

    async def accept_invite(self, invite_id: int) -> dict:
        return await self.post(f"/api/invites/{invite_id}/accept/")

    async def decline_invite(self, invite_id: int) -> dict:
        return await self.post(f"/api/invites/{invite_id}/decline/")

    async def cancel_invite(self, invite_id: int) -> dict:
        return await self.post(f"/api/invites/{invite_id}/cancel/")

    # --- groups (clans) ---------------------------------------------------------------

    async def list_groups(self, *, search: str | None = None):
        return await self._list("/api/groups/", {"search": search} if search else {})

    async def my_groups(self) -> list:
        """The groups I am in, each with my ``role``, the oldest membership first (all the pages)."""
        return [g async for g in self.pages("/api/groups/mine/", {"page_size": 200})]

    async def create_group(
        self, name: str, *, description: str = "", open: bool = True, max_members: int = 100
    ) -> dict:
        body = {"name": name, "description": description, "open": open, "max_members": max_members}
        return await self.post("/api/groups/", body)

    async def get_group(self, group_id: int) -> dict:
        return await self.get(f"/api/groups/{group_id}/")

    async def join_group(self, group_id: int) -> dict:
        """``{status: "member" | "requested", group}``: an open group at once, a closed one by request."""
        return await self.post(f"/api/groups/{group_id}/join/")

    async def open_group(self, group_id: int) -> GroupRoom:
        """Open the chat socket of a group I am a member of."""
        return await self._start(GroupRoom(self, group_id))

    async def leave_group(self, group_id: int) -> dict:
        room = self._sockets.get(f"group:{group_id}")
        if room is not None:
            await room.close()
        return await self.post(f"/api/groups/{group_id}/leave/")

    async def group_members(self, group_id: int) -> list:
        """Every member, longest-standing first (all the pages)."""
        return [m async for m in self.pages(f"/api/groups/{group_id}/members/", {"page_size": 200})]

    async def group_requests(self, group_id: int) -> list:
        """Every pending join request, oldest first (all the pages; admins only)."""
        return [r async for r in self.pages(f"/api/groups/{group_id}/requests/", {"page_size": 200})]

    async def accept_group_request(self, group_id: int, user_id: int) -> dict:
        return await self.post(f"/api/groups/{group_id}/requests/{user_id}/accept/")

    async def decline_group_request(self, group_id: int, user_id: int) -> dict:
        return await self.post(f"/api/groups/{group_id}/requests/{user_id}/decline/")

    async def group_action(self, group_id: int, action: str, user_id: int) -> dict:
        """``action``: ``promote``, ``demote``, ``kick`` or ``ban``."""
        return await self.post(f"/api/groups/{group_id}/{action}/", {"user_id": user_id})

    async def group_history(self, group_id: int, *, page_size: int = 50) -> dict:
        return await self.get(f"/api/groups/{group_id}/messages/", {"page_size": page_size})

    async def post_group_message(self, group_id: int, content: str) -> dict:
        return await self.post(f"/api/groups/{group_id}/messages/", {"content": content})

    # --- lobbies -----------------------------------------------------------------------

    async def list_lobbies(self, *, search: str | None = None, public: bool | None = None, status: str | None = None):
        params: dict = {}
        if search is not None:
            params["search"] = search
        if public is not None:
            params["public"] = int(public)
        if status is not None:
            params["status"] = status
        return await self._list("/api/lobbies/", params)

    async def create_lobby(self, name: str, *, is_public: bool = True, max_participants: int = 8) -> dict:
        return await self.post(
            "/api/lobbies/", {"name": name, "is_public": is_public, "max_participants": max_participants}
        )

    async def get_lobby(self, lobby_id: int) -> dict:
        return await self.get(f"/api/lobbies/{lobby_id}/")

    async def join_lobby(self, lobby_id: int, *, open_socket: bool = True) -> LobbyRoom | dict:
        """Become a member and open the lobby socket (``open_socket=False``: the REST answer)."""
        lobby = await self.post(f"/api/lobbies/{lobby_id}/join/")
        return await self.open_lobby(lobby_id) if open_socket else lobby

    async def open_lobby(self, lobby_id: int) -> LobbyRoom:
        """Open the socket of a lobby I am a member of."""
        return await self._start(LobbyRoom(self, lobby_id))

    async def leave_lobby(self, lobby_id: int) -> dict:
        room = self._sockets.get(f"lobby:{lobby_id}")
        if room is not None:
            await room.close()
        return await self.post(f"/api/lobbies/{lobby_id}/leave/")

    async def start_lobby_game(self, lobby_id: int, mode: str | None = None) -> dict:
        """Owner only: ``{status: "in_game", game_id}``, a game of ``mode`` (default: the server's, relay)
        for every member; ``Conflict`` ``invalid_player_count`` when the members do not fit the mode."""
        return await self.post(f"/api/lobbies/{lobby_id}/start/", {"mode": mode} if mode else None)

    async def lobby_history(self, lobby_id: int, *, page_size: int = 50, cursor_url: str | None = None) -> dict:
        """One cursor page ``{next, previous, results}``: newest page first, oldest first within it;
        pass ``next`` back as ``cursor_url`` for older messages."""
        if cursor_url:
            return await self.get(cursor_url)
        return await self.get(f"/api/lobbies/{lobby_id}/messages/", {"page_size": page_size})

    async def post_lobby_message(self, lobby_id: int, content: str) -> dict:
        return await self.post(f"/api/lobbies/{lobby_id}/messages/", {"content": content})

    async def kick(self, lobby_id: int, user_id: int, reason: str = "") -> dict:
        return await self.post(f"/api/lobbies/{lobby_id}/kick/", {"user_id": user_id, "reason": reason})

    async def ban(self, lobby_id: int, user_id: int, reason: str = "") -> dict:
        return await self.post(f"/api/lobbies/{lobby_id}/ban/", {"user_id": user_id, "reason": reason})

    # --- friends, DMs, notifications ---------------------------------------------------

    async def list_friends(self) -> list:
        """``[{user, online, since, last_seen}]``: presence included."""
        return await self._list("/api/friends/")

    async def send_friend_request(self, user_id: int) -> dict:
        return await self.post("/api/friends/requests/", {"user_id": user_id})

    async def friend_requests(self, direction: str = "incoming") -> list:
        return await self._list("/api/friends/requests/", {"direction": direction})

    async def accept_friend_request(self, request_id: int) -> dict:
        return await self.post(f"/api/friends/requests/{request_id}/accept/")

    async def decline_friend_request(self, request_id: int) -> dict:
        return await self.post(f"/api/friends/requests/{request_id}/decline/")

    async def cancel_friend_request(self, request_id: int) -> None:
        await self.delete(f"/api/friends/requests/{request_id}/")

    async def remove_friend(self, user_id: int) -> None:
        await self.delete(f"/api/friends/{user_id}/")

    async def block(self, user_id: int) -> dict:
        return await self.post("/api/friends/blocks/", {"user_id": user_id})

    async def unblock(self, user_id: int) -> None:
        await self.delete(f"/api/friends/blocks/{user_id}/")

    async def watch_presence(self) -> Socket:
        """Open ``/ws/friends/status/``: ``presence_snapshot``, then ``presence`` frames."""
        return await self._start(Socket(self, "/ws/friends/status/", "friends"))

    async def list_conversations(self) -> list:
        return await self._list("/api/dm/")

    async def dm_history(self, user_id: int, *, page_size: int = 50) -> list:
        """The newest page of a conversation, oldest first."""
        return await self._list(f"/api/dm/{user_id}/messages/", {"page_size": page_size})

    async def send_dm(self, user_id: int, content: str) -> dict:
        return await self.post(f"/api/dm/{user_id}/messages/", {"content": content})

    async def mark_dm_read(self, user_id: int) -> dict:
        return await self.post(f"/api/dm/{user_id}/read/")

    async def open_dm(self, user_id: int) -> DMRoom:
        return await self._start(DMRoom(self, user_id))

    # --- player safety -------------------------------------------------------------------

    async def report(
        self,
        user_id: int,
        reason: str,
        *,
        comment: str = "",
        lobby_id: int | None = None,
        game_id: int | None = None,
        group_id: int | None = None,
        dm_user_id: int | None = None,
    ) -> dict:
        """Report a player: ``{id, status: "open"}``; the server takes the evidence itself. ``reason``:
        cheating, harassment, hate, spam, inappropriate_name, other; where it happened: one of
        ``lobby_id``, ``game_id``, ``group_id``, ``dm_user_id``. A player I already reported, while
        that report is open, answers the first report. ``BadRequest`` ``cannot_report_self``,
        ``RateLimited`` past 10 an hour."""
        places = {"lobby_id": lobby_id, "game_id": game_id, "group_id": group_id, "dm_user_id": dm_user_id}
        body: dict = {"user_id": user_id, "reason": reason}
        if comment:
            body["comment"] = comment
        context = {key: value for key, value in places.items() if value is not None}
        if context:
            body["context"] = context
        return await self.post("/api/reports/", body)

    async def my_reports(self) -> list:
        """My reports, with their status (open, actioned, dismissed): every page."""
        return [report async for report in self.pages("/api/reports/")]

    async def my_sanctions(self) -> list:
        """My sanctions, newest first, each with its statement, its end and my appeal of it."""
        return [sanction async for sanction in self.pages("/api/sanctions/")]

    async def appeal(self, sanction_id: int, text: str, *, appeal_token: str | None = None) -> dict:
        """Appeal a sanction once, within 180 days (``Conflict`` ``appeal_exists`` /
        ``appeal_window_closed``); returns the sanction with its appeal. Logged in, or with the
        ``appeal_token`` of an ``AccountSuspended`` (a locked account cannot log in): then no
        access token is sent."""
        path = f"/api/sanctions/{sanction_id}/appeal/"
        if appeal_token:
            return await self.request("POST", path, json={"text": text, "appeal_token": appeal_token}, auth=False)
        return await self.post(path, {"text": text})

    # --- live operations (liveops.py) ---------------------------------------------------------

    @property
    def liveops(self) -> LiveOps:
        """Flags, experiments, live events, the liveops inbox and analytics events (made on first use)."""
        if self._liveops is None:
            self._liveops = LiveOps(self)
        return self._liveops

    async def list_notifications(self, *, unread: bool = False) -> list:
        return await self._list("/api/notifications/", {"unread": 1} if unread else None)

    async def mark_notifications_read(self, ids: list[int] | None = None) -> dict:
        """Mark ``ids`` read, or all of them when ``ids`` is None."""
        return await self.post("/api/notifications/read/", {"ids": ids} if ids is not None else {"all": True})

    async def get_badge(self) -> dict | None:
        """The latest ``badge`` (opens the notification socket if needed)."""
        notifications = self.notifications or await self._open_notifications()
        return notifications.badge

    # --- progression: player, inventory, shop, pets, battles ---------------------------

    async def get_player(self) -> dict:
        return await self.get("/api/player/me/")

    async def allocate_stats(self, **points: int) -> dict:
        return await self.post("/api/player/allocate-stats/", points)

    async def regenerate_stamina(self) -> dict:
        return await self.post("/api/player/regenerate-stamina/")

    async def get_ledger(self) -> list:
        return await self._list("/api/player/ledger/")

    async def get_inventory(self) -> list:
        return await self._list("/api/inventory/")

    async def equip(self, inventory_id: int) -> dict:
        return await self.post(f"/api/inventory/equip/{inventory_id}/")

    async def unequip(self, slot: str) -> dict:
        return await self.post(f"/api/inventory/unequip/{slot}/")

    async def get_pets(self) -> dict:
        return await self.get("/api/pets/")

    async def hatch_pet(self, egg_id: int) -> dict:
        return await self.post(f"/api/pets/hatch/{egg_id}/")

    async def feed_pet(self, pet_id: int) -> dict:
        return await self.post(f"/api/pets/feed/{pet_id}/")

    async def equip_pet(self, pet_id: int) -> dict:
        return await self.post(f"/api/pets/equip/{pet_id}/")

    async def unequip_pet(self, pet_id: int) -> dict:
        return await self.post(f"/api/pets/unequip/{pet_id}/")

    async def shop_items(self) -> list:
        return await self._list("/api/shop/items/")

    async def purchase(
        self, shop_item_id: int, quantity: int = 1, *, pay_with: str | None = None, idempotency_key: str | None = None
    ) -> dict:
        """Buy; an ``Idempotency-Key`` (a fresh one unless given) makes retries after a 503 or a
        lost answer charge once."""
        body: dict = {"shop_item_id": shop_item_id, "quantity": quantity}
        if pay_with is not None:
            body["pay_with"] = pay_with
        key = idempotency_key or uuid.uuid4().hex
        return await self.post("/api/shop/purchase/", body, headers={"Idempotency-Key": key})

    # --- the store: money (Stripe, and the App Store's and Google Play's subscriptions) -------

    async def products(self) -> list:
        """What can be bought with money, subscriptions included (404 ``not_configured`` when no store is)."""
        return [item async for item in self.pages("/api/payments/products/")]

    async def checkout(self, product_id: str) -> dict:
        """A Stripe Checkout session for a product: ``{url, session_id}``; send the buyer to ``url``.
        Granted once Stripe's webhook says it was paid, never here."""
        return await self.post("/api/payments/checkout/", {"product_id": product_id})

    async def purchases(self) -> list:
        """My purchases in every store, newest first, refunded ones included."""
        return [item async for item in self.pages("/api/payments/purchases/")]

    async def subscriptions(self) -> list:
        """My subscriptions in every store, newest first (``active`` and ``grace`` hold their entitlement)."""
        return [item async for item in self.pages("/api/payments/subscriptions/")]

    async def cancel_subscription(self, subscription_id: int) -> dict:
        """Stop a Stripe subscription renewing (it runs to its period's end); 409 ``cancel_in_store``
        for an App Store or Google Play one (the player cancels it in the store)."""
        return await self.post(f"/api/payments/subscriptions/{subscription_id}/cancel/")

    async def billing_portal(self) -> dict:
        """Stripe's customer portal (card, invoices, cancel): ``{url}``."""
        return await self.post("/api/payments/portal/")

    async def available_battles(self) -> list:
        return await self._list("/api/battles/available/")

    async def get_battle(self, battle_id: int) -> dict:
        return await self.get(f"/api/battles/{battle_id}/")

    async def join_battle(self, battle_id: int) -> dict:
        return await self.post(f"/api/battles/join/{battle_id}/")

    async def attack(self, battle_id: int) -> dict:
        return await self.post(f"/api/battles/attack/{battle_id}/")

    async def claim_loot(self, battle_id: int) -> dict:
        return await self.post(f"/api/battles/claim-loot/{battle_id}/")

    async def battle_history(self) -> list:
        return await self._list("/api/battles/history/")

    async def open_battle(self, battle_id: int) -> BattleRoom:
        return await self._start(BattleRoom(self, battle_id))

    # --- cloud storage -----------------------------------------------------------------

    async def storage_get(self, collection: str, key: str, *, user_id: int | None = None) -> dict:
        """An object of mine, or another user's public one: ``{collection, key, value, version, read,
        updated_at}``."""
        params = {"user_id": user_id} if user_id is not None else None
        return await self.get(f"/api/storage/{collection}/{key}/", params)

    async def storage_put(
        self,
        collection: str,
        key: str,
        value: Any,
        *,
        read: str = "owner",
        version: int | None = None,
        create_only: bool = False,
    ) -> dict:
        """Write an object whole. ``version``: only if it is still at that version, else
        ``VersionConflict`` (412); ``create_only``: only if there is none (412 too)."""
        headers = {}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        if create_only:
            headers["If-None-Match"] = "*"
        return await self.request(
            "PUT", f"/api/storage/{collection}/{key}/", json={"value": value, "read": read}, headers=headers
        )

    async def storage_delete(self, collection: str, key: str, *, version: int | None = None) -> None:
        headers = {"If-Match": f'"{version}"'} if version is not None else None
        await self.request("DELETE", f"/api/storage/{collection}/{key}/", headers=headers)

    async def storage_list(self, collection: str, *, user_id: int | None = None) -> list:
        """My objects in a collection by key, or another user's public ones (first page)."""
        return await self._list(f"/api/storage/{collection}/", {"user_id": user_id} if user_id is not None else None)


def _results(page: Any) -> list:
    return page["results"] if isinstance(page, dict) and "results" in page else page


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text

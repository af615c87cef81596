"""Seed 002's ``NetworkClient``, on the platform's SDK (``gameplatform_client.GameClient``).

Seed 002's client code runs unchanged against a gameplatform server: the same calls, the same
message attributes. ``client.sdk`` is the ``GameClient`` underneath, for everything else the
platform does. (``python -m network.peer`` is the seed's command-line client.)
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gameplatform_client import ApiError, ErrorEvent, GameClient, NotConnected
from gameplatform_client.frames import Disconnected, Frame

from .protocol import (
    CLIENT_FRAME_TYPES,
    NOT_DELIVERED,
    ErrorMessage,
    Message,
    MessageType,
    NotSupportedError,
    from_frame,
)

logger = logging.getLogger("network")

DEFAULT_URL = "http://localhost:8000"
URL_VARIABLE = "GAMEPLATFORM_URL"
_COMBAT_ID = re.compile(r"(?:combat_)?(\d+)")


class InsecureTransportError(NotSupportedError, ValueError):
    """``encryption_enabled = True`` with a server address that is not TLS (https / wss)."""


@dataclass(frozen=True)
class NearbyPlayer:
    """A character in my area, as the world socket last told this client about it."""

    character_id: int
    character_name: str
    level: int | None
    faction: str | None
    position: dict | None  # ``{x, y, z}`` from its last position update; None before one
    last_seen: datetime  # when this client last heard of it (entered, listed, moved), UTC
    location_id: int


def server_url(url: str | None = None) -> str:
    """The server's HTTP address: ``url``, else ``GAMEPLATFORM_URL``, else ``http://localhost:8000``
    (a ``ws://`` / ``wss://`` address names the same server)."""
    raw = (url or os.environ.get(URL_VARIABLE) or DEFAULT_URL).strip()
    parts = urlsplit(raw)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{raw!r} is not a server address (http://host:port or https://host)")
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


class NetworkClient:
    """Seed 002's client: ``connect``, ``register_handler``, ``get_characters``, ``select_character``,
    ``send_chat``, ``get_world_state``, ``get_nearby_players`` (sync, from what the world socket
    told this client), ``send_move``, ``send_position_update``, ``send_combat_action``,
    ``disconnect``.

    ``url``: the server (else the environment variable ``GAMEPLATFORM_URL``, else
    ``http://localhost:8000``). Other keyword options go to ``GameClient`` (``timeout``,
    ``reconnect`` ...).

    ``encryption_enabled``: the platform does not encrypt messages itself (the seed's Fernet
    layer has no server counterpart); its messages are protected by TLS. ``True`` means
    TLS only: the client refuses an address that is not ``https://`` / ``wss://`` (setting it
    raises ``InsecureTransportError`` then), so nothing is ever sent in the clear.

    Socket refusals (``rate_limited``, ``illegal_move``, ``combat_not_found`` ...) arrive as
    ``ErrorMessage`` at ``MessageType.ERROR`` handlers, as the seed's protocol errors did; REST
    calls raise the SDK's ``ApiError`` family.
    """

    def __init__(self, url: str | None = None, *, encryption_enabled: bool = False, **options: Any) -> None:
        self.url = server_url(url)
        self._encryption_enabled = False
        self.encryption_enabled = encryption_enabled
        self.sdk = GameClient(self.url, **options)
        self._handlers: dict[str, list[Callable]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._area: int | None = None  # my character's location, from the world socket
        self._me: int | None = None  # my character's id
        self._nearby: dict[int, NearbyPlayer] = {}
        self._positions: dict[int, dict] = {}  # the last relayed position of each character heard of
        self.sdk.register_handler("*", self._on_event)

    # --- TLS ---------------------------------------------------------------------------

    @property
    def encryption_enabled(self) -> bool:
        """True: TLS only (https / wss). The platform has no message-level encryption."""
        return self._encryption_enabled

    @encryption_enabled.setter
    def encryption_enabled(self, value: bool) -> None:
        if value and not self.url.startswith("https://"):
            raise InsecureTransportError(
                f"encryption_enabled = True means TLS only, and {self.url} is not TLS: use an https:// (or"
                f" wss://) address (NetworkClient(url=...) or {URL_VARIABLE}). The platform encrypts"
                " with TLS; it has no per-message (Fernet) encryption."
            )
        self._encryption_enabled = bool(value)

    # --- session -----------------------------------------------------------------------

    async def connect(self, username: str, password: str) -> NetworkClient:
        """Log in and open the notification socket and, when a character is selected, the world socket."""
        self.encryption_enabled = self._encryption_enabled  # the address is checked again
        await self.sdk.connect(username, password)
        return self

    async def disconnect(self) -> None:
        """Close every socket and the HTTP client."""
        await self.sdk.disconnect()
        for task in list(self._tasks):
            task.cancel()

    async def __aenter__(self) -> NetworkClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    # --- handlers ----------------------------------------------------------------------

    def register_handler(self, message_type: MessageType | str, handler: Callable) -> Callable[[], None]:
        """Call ``handler(message)`` (sync or async) for every message of ``message_type``; returns
        an unsubscribe. A seed type the platform never sends (``AUTH_RESPONSE``, ``WORLD_STATE`` ...)
        gives a warning saying what to call instead; ``"*"`` gets every message."""
        key = str(message_type)
        reason = NOT_DELIVERED.get(key)
        if reason:
            warnings.warn(f"{key} never arrives from the platform: {reason}", UserWarning, stacklevel=2)
        self._handlers.setdefault(key, []).append(handler)
        return lambda: self._handlers.get(key, []).remove(handler)

    def _on_event(self, event: Any) -> None:
        message = self._message_for(event)
        if message is not None:
            self._deliver(message)

    def _deliver(self, message: Message) -> None:
        self._remember(message)
        for handler in [*self._handlers.get(str(message.type), ()), *self._handlers.get("*", ())]:
            self._call(handler, message)

    def _message_for(self, event: Any) -> Message | None:
        if isinstance(event, Frame):
            return from_frame(event, source=event.source)
        if isinstance(event, ErrorEvent):
            return from_frame(event.frame, source=event.source)
        if isinstance(event, Disconnected) and not event.will_retry:
            frame = {"type": "disconnect", "code": event.code, "reason": event.reason}
            return Message(MessageType.DISCONNECT, frame, source=event.source, code=event.code, reason=event.reason)
        return None  # a drop the socket recovers from: the SDK's "disconnected" / "reconnected" events

    def _call(self, handler: Callable, message: Message) -> None:
        try:
            result = handler(message)
        except Exception:
            logger.exception("handler %r failed", handler)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._handler_done)

    def _handler_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("handler failed", exc_info=task.exception())

    def _report(self, code: str, message: str, **details: Any) -> ErrorMessage:
        """Answer a refused call with the seed's error shape, at ``MessageType.ERROR`` handlers."""
        error = from_frame({"type": "error", "code": code, "message": message, **details}, source="client")
        self._deliver(error)
        return error

    # --- nearby players (the cache of what the world socket said) ----------------------

    def _remember(self, message: Message) -> None:
        raw, kind = message.raw, str(message.raw.get("type"))
        if kind == "welcome":
            self._me = (raw.get("character") or {}).get("id")
            self._enter((raw.get("location") or {}).get("id"), raw.get("nearby") or [])
        elif kind == "nearby":
            self._enter(raw.get("location_id"), raw.get("characters") or [])
        elif kind == "player_joined_area":
            self._see(raw.get("character") or {})
        elif kind == "player_left_area":
            self._nearby.pop(raw.get("character_id"), None)
            self._positions.pop(raw.get("character_id"), None)
        elif kind == "location_update" and raw.get("character_id") == self._me:
            self._area = raw.get("to_location_id")  # the ``nearby`` list follows
        elif kind == "location_update" and raw.get("to_location_id") != self._area:
            self._nearby.pop(raw.get("character_id"), None)
        elif kind == "position_update":
            self._moved(raw.get("character_id"), raw.get("position"))

    def _enter(self, location_id: int | None, characters: list[dict]) -> None:
        self._area = location_id
        self._nearby = {}
        listed = {character.get("character_id") for character in characters}
        self._positions = {key: value for key, value in self._positions.items() if key in listed}
        for character in characters:
            self._see(character)

    def _see(self, character: dict) -> None:
        key = character.get("character_id")
        if self._area is None or key is None:
            return
        # A list carries the position last stored; one relayed since (even just before the list
        # came: the server sends the list after the area hears of me) is newer.
        position = self._positions.get(key) or character.get("position") or None
        self._nearby[key] = NearbyPlayer(
            character_id=key,
            character_name=character.get("name", ""),
            level=character.get("level"),
            faction=character.get("faction"),
            position=position,
            last_seen=datetime.now(UTC),
            location_id=self._area,
        )

    def _moved(self, character_id: int | None, position: dict | None) -> None:
        if character_id is None or not position:
            return
        self._positions[character_id] = position
        seen = self._nearby.get(character_id)
        if seen is not None:
            self._nearby[character_id] = replace(seen, position=position, last_seen=datetime.now(UTC))

    def get_nearby_players(self, location_id: int | None = None) -> list[NearbyPlayer]:
        """The other characters in my character's area, from what the world socket told this
        client (no call to the server; kept current by its ``player_joined_area``,
        ``player_left_area``, ``nearby`` and ``position_update`` frames). ``location_id`` must be
        that area (None: whichever it is): the socket only tells about my own area, so another
        one raises ``NotSupportedError`` (``await fetch_nearby_players(id)`` asks the server)."""
        if self._area is None:
            raise NotConnected("No world socket yet: connect() with a selected character first.")
        if location_id is not None and location_id != self._area:
            raise NotSupportedError(
                f"Location {location_id} is not your character's area (it stands in {self._area}): the world"
                f" socket only tells about your own area. Ask the server with"
                f" await client.fetch_nearby_players({location_id})."
            )
        return sorted(self._nearby.values(), key=lambda p: p.character_id)

    async def fetch_nearby_players(self, location_id: int) -> list[NearbyPlayer]:
        """The characters in any area now, from the server (``GET /api/world/locations/{id}/players/``)."""
        now = datetime.now(UTC)
        return [
            NearbyPlayer(
                character_id=c["character_id"],
                character_name=c.get("name", ""),
                level=c.get("level"),
                faction=c.get("faction"),
                position=c.get("position"),
                last_seen=now,
                location_id=location_id,
            )
            for c in await self.sdk.get_nearby_players(location_id)
        ]

    # --- REST (the seed's /api/characters, /api/world, /api/party, /api/status) --------

    async def get_characters(self) -> list[dict]:
        """My characters ``[{id, name, faction, level, xp, health, max_health, location_id, selected, created_at}]``."""
        return await self.sdk.get_characters()

    async def create_character(self, name: str, faction: str | int) -> dict:
        return await self.sdk.create_character(name, faction)

    async def select_character(self, character_id: int) -> dict:
        """Select a character and (re)open the world socket with it."""
        return await self.sdk.select_character(character_id)

    async def delete_character(self, character_id: int) -> None:
        await self.sdk.delete_character(character_id)

    async def get_world_state(self) -> dict:
        """``{current_reality, shards, factions, online_characters, recent_events}``."""
        return await self.sdk.get_world_state()

    async def get_shards(self) -> list[dict]:
        return await self.sdk.get_shards()

    async def get_world_events(self) -> list[dict]:
        return await self.sdk.get_world_events()

    async def get_party(self, party_id: int) -> dict:
        return await self.sdk.get_party(party_id)

    async def create_party(self) -> dict:
        return await self.sdk.create_party()

    async def invite_to_party(self, character_id: int) -> dict:
        return await self.sdk.invite_to_party(character_id)

    async def leave_party(self) -> dict:
        return await self.sdk.leave_party()

    async def get_status(self) -> dict:
        """``GET /api/status``: ``{status, version, uptime_s, database, channel_layer, online_users}``."""
        return await self.sdk.server_status()

    # --- world socket ------------------------------------------------------------------

    async def send_chat(self, message: str, channel: str = "global") -> None:
        """Say ``message`` on ``global`` (every world socket), ``party`` or ``faction``; it comes back
        as a ``CHAT`` / ``PARTY_CHAT`` / ``FACTION_CHAT`` message to everyone who hears it, me included."""
        await self.sdk.send_chat(message, channel)

    async def send_whisper(self, to: str, message: str) -> None:
        """Whisper to one character by name (``WHISPER`` to both of you)."""
        await self.sdk.send_whisper(to, message)

    async def send_move(self, to_location_id: int, from_location_id: int | None = None) -> Message | None:
        """Walk to a neighbouring location; returns my ``LOCATION_UPDATE`` once the server moved me,
        or None when it refused (the ``ErrorMessage`` goes to ``ERROR`` handlers: ``illegal_move``,
        ``rate_limited`` ...). ``from_location_id`` is not needed: the server knows where I stand."""
        try:
            frame = await self.sdk.send_move(to_location_id)
        except ApiError as exc:
            self._refused(exc)
            return None
        return from_frame(frame, source=frame.source)

    async def send_position_update(self, position: dict, velocity: dict | None = None) -> None:
        """Relayed to the others in my area as ``POSITION_UPDATE`` (at most 10 a second reach them)."""
        await self.sdk.send_position_update(position, velocity)

    async def send_combat_action(
        self,
        combat_id: int | str,
        action_type: str = "attack",
        target_id: int | None = None,
        ability_name: str | None = None,
        item_id: int | None = None,
    ) -> None:
        """Act in a fight: ``attack``, ``spell`` (``ability_name``) or ``item`` (``item_id``). The server
        computes the effect (``COMBAT_DAMAGE`` / ``COMBAT_HEAL`` / ``COMBAT_END``). ``combat_id`` is the
        platform's id, as an int or as the seed's string ``"combat_<id>"``; a combat that is not
        mine (or a string of another form) is answered with an ``ErrorMessage`` ``combat_not_found``."""
        match = _COMBAT_ID.fullmatch(str(combat_id).strip())
        if match is None:
            self._report(
                "combat_not_found",
                f"No such combat {combat_id!r}: combat ids are the platform's (an int, or 'combat_<id>').",
                combat_id=combat_id,
            )
            return
        await self.sdk.send_combat_action(int(match.group(1)), action_type, target_id, ability_name, item_id)

    async def start_combat(self, kind: str, target_id: int) -> Message:
        """Start a fight with an enemy (``kind="enemy"``) or a character of another faction in a
        contested area; returns the ``COMBAT_START`` message (its ``combat_id``)."""
        frame = await self.sdk.start_combat(kind, target_id)
        return from_frame(frame, source=frame.source)

    async def capture_shard(self, shard_id: int) -> None:
        """Capture the shard where my character stands (``SHARD_CAPTURED`` to everyone)."""
        await self.sdk.capture_shard(shard_id)

    async def _send_ws_message(self, message: Message | dict) -> None:
        """Send a message on the world socket as it is. The server is authoritative: only the frames
        a client may send pass (chat, whisper, move, position_update, combat_start, combat_action,
        shard_capture, trade_*); the others (``character_update``, ``shard_captured`` ...) are the
        server's to send and raise ``NotSupportedError`` saying so."""
        frame = message.to_frame() if isinstance(message, Message) else dict(message)
        kind = str(frame.get("type"))
        if kind not in CLIENT_FRAME_TYPES:
            raise NotSupportedError(
                f"A client cannot send {kind!r}: the server is authoritative and sends it itself when the"
                f" state changes. Clients send {', '.join(sorted(CLIENT_FRAME_TYPES))}."
            )
        world = self.sdk.world
        if world is None:
            raise NotConnected("The world socket is not open: select a character first.")
        await world.send(frame)

    def _refused(self, exc: ApiError) -> None:
        frame = exc.body if isinstance(exc.body, dict) else {}
        self._report(exc.code, exc.detail, **{k: v for k, v in frame.items() if k not in ("type", "code", "message")})

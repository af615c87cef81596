"""Seed 002's protocol on the platform's frames: ``MessageType``, message objects, ``serialize``.

The wire format is the platform's (the world socket's frames in the manual, docs/domains/world.md,
and ``/api/asyncapi/``); this module gives each frame the attribute names seed 002's client code
reads (``message.sender_name``, ``message.content``, ``message.error_code`` ...). A message
keeps the frame it came from in ``raw``, and any field of it reads as an attribute too
(``message.shard`` on a ``shard_captured``), so nothing the server sends is lost.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from gameplatform_client import GameplatformError


class NotSupportedError(GameplatformError):
    """A seed 002 feature the platform has no counterpart for; the message says why and what to use."""


class MessageType(StrEnum):
    """Seed 002's message types. The ones the platform sends arrive at ``register_handler``
    handlers; the rest (``NOT_DELIVERED``) are REST calls or client frames here."""

    # authentication
    AUTH_REQUEST = "auth_request"
    AUTH_RESPONSE = "auth_response"
    DISCONNECT = "disconnect"
    # characters
    CHARACTER_LIST = "character_list"
    CHARACTER_SELECT = "character_select"
    CHARACTER_CREATE = "character_create"
    CHARACTER_UPDATE = "character_update"
    CHARACTER_DELETE = "character_delete"
    # movement and location
    MOVE = "move"
    LOCATION_UPDATE = "location_update"
    PLAYER_JOINED_AREA = "player_joined_area"
    PLAYER_LEFT_AREA = "player_left_area"
    # chat
    CHAT = "chat"
    WHISPER = "whisper"
    PARTY_CHAT = "party_chat"
    FACTION_CHAT = "faction_chat"
    WORLD_ANNOUNCEMENT = "world_announcement"
    # parties
    PARTY_CREATE = "party_create"
    PARTY_INVITE = "party_invite"
    PARTY_ACCEPT = "party_accept"
    PARTY_DECLINE = "party_decline"
    PARTY_LEAVE = "party_leave"
    PARTY_KICK = "party_kick"
    PARTY_DISBAND = "party_disband"
    PARTY_UPDATE = "party_update"
    # combat
    COMBAT_START = "combat_start"
    COMBAT_ACTION = "combat_action"
    COMBAT_DAMAGE = "combat_damage"
    COMBAT_HEAL = "combat_heal"
    COMBAT_END = "combat_end"
    COMBAT_STATE = "combat_state"
    # world state
    WORLD_STATE = "world_state"
    SHARD_CAPTURED = "shard_captured"
    SHARD_STATUS = "shard_status"
    REALITY_SHIFT = "reality_shift"
    AETHERFALL = "aetherfall"
    # trading
    TRADE_REQUEST = "trade_request"
    TRADE_ACCEPT = "trade_accept"
    TRADE_DECLINE = "trade_decline"
    TRADE_UPDATE = "trade_update"
    TRADE_COMPLETE = "trade_complete"
    # errors
    ERROR = "error"
    # the platform's own, beside the seed's
    WELCOME = "welcome"
    NEARBY = "nearby"
    POSITION_UPDATE = "position_update"
    TRADE_CANCELLED = "trade_cancelled"


_PARTY_BY_REST = "a REST call here (/api/party/...); every change of a party arrives as PARTY_UPDATE"

# Seed types the platform never sends to a client, and why (``register_handler`` warns with it).
NOT_DELIVERED: dict[str, str] = {
    MessageType.AUTH_REQUEST: "logging in is a REST call here (connect() does it), not a message",
    MessageType.AUTH_RESPONSE: "logging in is a REST call here: connect() returns, or raises Unauthorized",
    MessageType.CHARACTER_LIST: "the character list is a REST call here: await get_characters()",
    MessageType.CHARACTER_SELECT: "selecting is a REST call here: await select_character(id)",
    MessageType.CHARACTER_CREATE: "creating is a REST call here: await create_character(name, faction)",
    MessageType.CHARACTER_DELETE: "deleting is a REST call here: await delete_character(id)",
    MessageType.MOVE: "a move is answered with LOCATION_UPDATE",
    MessageType.PARTY_CREATE: _PARTY_BY_REST,
    MessageType.PARTY_INVITE: "party invites are platform invites: an invite_created frame on the notification socket",
    MessageType.PARTY_ACCEPT: _PARTY_BY_REST,
    MessageType.PARTY_DECLINE: _PARTY_BY_REST,
    MessageType.PARTY_LEAVE: _PARTY_BY_REST,
    MessageType.PARTY_KICK: _PARTY_BY_REST,
    MessageType.PARTY_DISBAND: _PARTY_BY_REST,
    MessageType.COMBAT_ACTION: "an action is answered with COMBAT_DAMAGE / COMBAT_HEAL / COMBAT_STATE",
    MessageType.WORLD_STATE: "the world state is a REST call here: await get_world_state()",
    MessageType.TRADE_ACCEPT: "an accepted trade arrives as TRADE_UPDATE",
}

# The frame types the world socket takes from a client; the others are the server's to send.
CLIENT_FRAME_TYPES = frozenset(
    {
        "chat",
        "whisper",
        "move",
        "position_update",
        "combat_start",
        "combat_action",
        "shard_capture",
        "trade_request",
        "trade_accept",
        "trade_decline",
        "trade_update",
        "trade_confirm",
        "trade_cancel",
        "world_announcement",
        "ping",
    }
)

_CHAT_TYPES = {"global": MessageType.CHAT, "party": MessageType.PARTY_CHAT, "faction": MessageType.FACTION_CHAT}
_SAME_NAME = {member.value for member in MessageType} - set(NOT_DELIVERED)
_RENAMED = {"trade_declined": MessageType.TRADE_DECLINE}


class Message:
    """One message: ``type`` (a ``MessageType``, or the frame's own type string for frames the
    seed has no name for), the seed's attributes for that type, ``timestamp`` (when it arrived
    or was made), ``raw`` (the platform frame) and ``source`` (the socket it came on). Other
    fields of the frame read as attributes too."""

    def __init__(self, type: MessageType | str, raw: dict, *, source: str = "", **fields: Any) -> None:
        self.type = type
        self.raw = raw
        self.source = source
        self.timestamp = _timestamp(raw)
        self.__dict__.update(fields)

    def __getattr__(self, name: str) -> Any:
        raw = self.__dict__.get("raw") or {}
        if name in raw:
            return raw[name]
        kind = self.__dict__.get("type")
        raise AttributeError(f"{type(self).__name__} of type {kind!s} has no {name!r} (fields: {sorted(raw)})")

    def to_frame(self) -> dict:
        """The platform frame this message stands for."""
        return dict(self.raw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.type!s}: {self.raw!r})"


class ChatMessage(Message):
    """``channel`` (``global``, ``party``, ``faction``, ``whisper``), ``sender_id`` (a character id),
    ``sender_name``, ``sender_faction``, ``content``; a whisper also ``recipient_id``, ``recipient_name``."""


class ErrorMessage(Message):
    """``error_code`` (the platform's code: ``combat_not_found``, ``illegal_move``, ``rate_limited``
    ...), ``error_message`` (its human message), ``details`` (the frame's other fields: ``fields``,
    ``retry_after``, ``ref`` ...; None when there are none)."""


def _timestamp(raw: dict) -> datetime:
    value = raw.get("created_at")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return datetime.now(UTC)


def message_type_of(frame: dict) -> MessageType | str:
    """The seed's type for a platform frame (its own type string where the seed has none)."""
    kind = str(frame.get("type", ""))
    if kind == "chat":
        return _CHAT_TYPES.get(frame.get("channel"), MessageType.CHAT)
    if kind in _RENAMED:
        return _RENAMED[kind]
    return MessageType(kind) if kind in _SAME_NAME else kind


def _character_fields(character: dict) -> dict:
    return {
        "character_id": character.get("character_id", character.get("id")),
        "character_name": character.get("name"),
        "faction": character.get("faction"),
        "level": character.get("level"),
        "position": character.get("position"),
    }


def _chat(frame: dict, kind: MessageType | str, source: str) -> ChatMessage:
    if frame.get("type") == "whisper":
        sender, recipient = frame.get("from") or {}, frame.get("to") or {}
        extra = {
            "channel": "whisper",
            "recipient_id": recipient.get("character_id"),
            "recipient_name": recipient.get("name"),
        }
    else:
        sender, extra = frame.get("sender") or {}, {"channel": frame.get("channel")}
    return ChatMessage(
        kind,
        frame,
        source=source,
        sender_id=sender.get("character_id"),
        sender_name=sender.get("name"),
        sender_faction=sender.get("faction"),
        content=frame.get("message"),
        **extra,
    )


def _error(frame: dict, source: str) -> ErrorMessage:
    details = {k: v for k, v in frame.items() if k not in ("type", "code", "message")}
    return ErrorMessage(
        MessageType.ERROR,
        frame,
        source=source,
        error_code=str(frame.get("code") or "error"),
        error_message=str(frame.get("message") or ""),
        details=details or None,
    )


def _fields_for(kind: MessageType | str, frame: dict) -> dict:
    """The seed's attribute names for the fields of one platform frame."""
    if kind in (MessageType.PLAYER_JOINED_AREA, MessageType.CHARACTER_UPDATE):
        character = frame.get("character") or {}
        fields = _character_fields(character)
        fields.update(location_id=character.get("location_id"), health=character.get("health"))
        fields["max_health"] = character.get("max_health")
        return fields
    if kind == MessageType.SHARD_CAPTURED:
        shard, character = frame.get("shard") or {}, frame.get("character") or {}
        return {
            "shard_id": shard.get("id"),
            "shard_name": shard.get("name"),
            "faction": frame.get("faction"),
            "character_id": character.get("character_id"),
            "character_name": character.get("name"),
        }
    if kind == MessageType.SHARD_STATUS:
        shard = frame.get("shard") or {}
        return {"shard_id": shard.get("id"), "shard_name": shard.get("name"), "faction": shard.get("owner_faction")}
    if kind in (MessageType.COMBAT_START, MessageType.COMBAT_STATE):
        combat = frame.get("combat") or {}
        return {"combat_id": combat.get("id")}
    if kind == MessageType.REALITY_SHIFT:
        return {"reality": frame.get("reality")}
    if kind == MessageType.WORLD_ANNOUNCEMENT:
        return {"content": frame.get("message")}
    return {}


def from_frame(frame: dict, *, source: str = "") -> Message:
    """The seed's message for one platform frame."""
    kind = message_type_of(frame)
    if kind == MessageType.ERROR:
        return _error(frame, source)
    if frame.get("type") in ("chat", "whisper"):
        return _chat(frame, kind, source)
    return Message(kind, frame, source=source, **_fields_for(kind, frame))


def serialize(message: Message | dict) -> str:
    """The JSON text of a message: the platform frame it stands for."""
    return json.dumps(message.to_frame() if isinstance(message, Message) else message)


def deserialize(text: str | bytes) -> Message:
    """The message for the JSON text of a platform frame."""
    frame = json.loads(text)
    if not isinstance(frame, dict) or "type" not in frame:
        raise ValueError("a frame is a JSON object with a 'type'")
    return from_frame(frame)


# --- seed 002's message builders (a client builds them; the server is the one that sends most) ---


def _now() -> str:
    return datetime.now(UTC).isoformat()


def create_chat_message(
    *, sender_id: int, sender_name: str, content: str, channel: str = "global", sender_faction: str | None = None
) -> ChatMessage:
    """A chat message as the world socket relays it (``send_chat`` is how a client says one)."""
    sender = {"character_id": sender_id, "name": sender_name, "faction": sender_faction}
    frame = {"type": "chat", "channel": channel, "sender": sender, "message": content, "created_at": _now()}
    return from_frame(frame)


def create_character_update(
    *, character_id: int, character_name: str, location_id: int, health: int, max_health: int, level: int
) -> Message:
    """A ``character_update`` frame. Only the server sends these (it is authoritative for health,
    level and location); ``NetworkClient._send_ws_message`` refuses it with the reason."""
    character = {
        "id": character_id,
        "name": character_name,
        "location_id": location_id,
        "health": health,
        "max_health": max_health,
        "level": level,
    }
    return from_frame({"type": "character_update", "character": character})


def create_shard_captured_message(
    *, shard_id: int, shard_name: str, character_id: int, character_name: str, faction: str
) -> Message:
    """A ``shard_captured`` frame as the server broadcasts it after a capture (a client captures
    with a ``shard_capture {shard_id}`` frame: ``NetworkClient.capture_shard``)."""
    frame = {
        "type": "shard_captured",
        "shard": {"id": shard_id, "name": shard_name},
        "faction": faction,
        "character": {"character_id": character_id, "name": character_name},
        "created_at": _now(),
    }
    return from_frame(frame)

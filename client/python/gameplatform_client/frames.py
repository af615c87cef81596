"""Frames from the server, and the events this client adds.

A server frame is delivered as a ``Frame``: the JSON object itself (a ``dict``, every field
kept, also ones the server adds later), readable as ``frame["message"]`` or ``frame.message``,
with ``frame.source`` naming the socket it came on (``"world"``, ``"game:12"``, ``"lobby:3"``,
``"dm:7"``, ``"notifications"``, ``"friends"``, ``"battle:2"``) and ``frame.replayed`` true for
frames the client rebuilt after a reconnection (history it fetched over REST).

Why dicts and not a dataclass per frame type: the contract lets the server add fields and
frame types at any time, and frames are flat JSON objects with ``type`` beside the fields. A
dict keeps everything the server sent, costs no parsing, and never breaks on a new field; the
TypedDicts below document the shapes for editors and type checkers
(``typing.cast(GameState, frame)``). The client's own events (``ErrorEvent``,
``Disconnected``, ``Reconnected``) are frozen dataclasses because their shape is ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict

from .errors import ApiError, error_from_frame


class Frame(dict):
    """One server frame: a dict with attribute access, its ``source`` and ``replayed`` flag."""

    __slots__ = ("source", "replayed")

    def __init__(self, data: dict, source: str = "", replayed: bool = False) -> None:
        super().__init__(data)
        self.source = source
        self.replayed = replayed

    @property
    def type(self) -> str:
        return str(self.get("type", ""))

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        extra = ", replayed" if self.replayed else ""
        return f"Frame({self.source}{extra}: {dict.__repr__(self)})"


@dataclass(frozen=True)
class ErrorEvent:
    """A socket ``error`` frame that no awaiting call claimed (handlers of ``"error"`` get it)."""

    code: str
    message: str
    source: str
    ref: Any = None
    retry_after: float | None = None
    fields: dict = field(default_factory=dict)
    frame: dict = field(default_factory=dict)
    type: str = "error"

    @classmethod
    def from_frame(cls, frame: dict, source: str) -> ErrorEvent:
        return cls(
            code=str(frame.get("code", "error")),
            message=str(frame.get("message", "")),
            source=source,
            ref=frame.get("ref"),
            retry_after=frame.get("retry_after"),
            fields=frame.get("fields") or {},
            frame=dict(frame),
        )

    def exception(self) -> ApiError:
        return error_from_frame(self.frame)


@dataclass(frozen=True)
class Disconnected:
    """A socket dropped. ``will_retry`` false: it is closed for good (see ``code``). ``error``: the
    ``error`` frame the server sent right before closing, which says why (an ``AccountSuspended``
    for a locked account's 4403), or None."""

    source: str
    code: int | None
    reason: str
    will_retry: bool
    error: ApiError | None = None
    type: str = "disconnected"


@dataclass(frozen=True)
class Reconnected:
    """A socket is open again after ``downtime`` seconds and ``attempts`` tries; ``replayed``
    frames were rebuilt from REST (missed chat, notifications, a finished game's ``game_over``)."""

    source: str
    downtime: float
    attempts: int
    replayed: int
    type: str = "reconnected"


class MessageType(StrEnum):
    """Frame type names (seed 002's ``MessageType`` names where it had one). Handlers may be
    registered with these or with the plain strings."""

    # world (seed 002)
    WELCOME = "welcome"
    CHAT = "chat"
    WHISPER = "whisper"
    WORLD_ANNOUNCEMENT = "world_announcement"
    MOVE = "move"
    LOCATION_UPDATE = "location_update"
    NEARBY = "nearby"
    POSITION_UPDATE = "position_update"
    PLAYER_JOINED_AREA = "player_joined_area"
    PLAYER_LEFT_AREA = "player_left_area"
    CHARACTER_UPDATE = "character_update"
    PARTY_UPDATE = "party_update"
    COMBAT_START = "combat_start"
    COMBAT_ACTION = "combat_action"
    COMBAT_DAMAGE = "combat_damage"
    COMBAT_HEAL = "combat_heal"
    COMBAT_STATE = "combat_state"
    COMBAT_END = "combat_end"
    SHARD_CAPTURED = "shard_captured"
    SHARD_STATUS = "shard_status"
    REALITY_SHIFT = "reality_shift"
    AETHERFALL = "aetherfall"
    TRADE_REQUEST = "trade_request"
    TRADE_UPDATE = "trade_update"
    TRADE_COMPLETE = "trade_complete"
    TRADE_CANCELLED = "trade_cancelled"
    TRADE_DECLINED = "trade_declined"
    WORLD_EVENT = "world_event"  # replayed from /api/world/events/ after a reconnection
    # games
    GAME_STATE = "game_state"
    STATE_PATCH = "state_patch"
    INPUT = "input"
    GAME_EVENT = "game_event"
    TURN_TIMEOUT = "turn_timeout"
    PLAYER_READY = "player_ready"
    GAME_START = "game_start"
    PLAYER_MOVE = "player_move"
    GAME_ACTION = "game_action"
    ACK = "ack"  # the room took my frame sent with that ref
    PLAYER_DISCONNECTED = "player_disconnected"
    PLAYER_RECONNECTED = "player_reconnected"
    FORFEIT = "forfeit"
    GAME_OVER = "game_over"
    # lobbies and DMs
    LOBBY_STATE = "lobby_state"
    CHAT_MESSAGE = "chat_message"
    TYPING_START = "typing_start"
    TYPING_STOP = "typing_stop"
    PRESENCE_JOIN = "presence_join"
    PRESENCE_LEAVE = "presence_leave"
    MODERATION_KICK = "moderation_kick"
    MODERATION_BAN = "moderation_ban"
    LOBBY_STARTED = "lobby_started"
    DM_MESSAGE = "dm_message"
    DM_READ = "dm_read"
    # notifications and friends
    BADGE = "badge"
    MATCH_FOUND = "match_found"
    MATCH_CANCELLED = "match_cancelled"
    NOTIFICATION = "notification"
    SANCTION = "sanction"  # a ``notification`` frame of kind ``sanction``, dispatched under this name too
    DM_RECEIVED = "dm_received"
    FRIEND_REQUEST = "friend_request"
    FRIEND_ACCEPTED = "friend_accepted"
    FRIEND_REMOVED = "friend_removed"
    INVITE_CREATED = "invite_created"
    INVITE_ACCEPTED = "invite_accepted"
    INVITE_DECLINED = "invite_declined"
    INVITE_CANCELLED = "invite_cancelled"
    INVITE_EXPIRED = "invite_expired"
    PRESENCE = "presence"
    PRESENCE_SNAPSHOT = "presence_snapshot"
    # battles
    CONNECTED = "connected"
    ATTACK = "attack"
    ENEMY_DEFEATED = "enemy_defeated"
    # every socket
    PONG = "pong"
    ERROR = "error"
    # this client's own events
    DISCONNECTED = "disconnected"
    RECONNECTED = "reconnected"


def type_key(kind: str | MessageType) -> str:
    return kind.value if isinstance(kind, MessageType) else str(kind)


# --- the documented shapes (for type checkers; at run time every frame is a Frame) ---------


class PlayerSeat(TypedDict, total=False):
    id: int
    username: str
    score: int
    side: str
    ready: bool
    connected: bool
    forfeited: bool


class GameState(TypedDict, total=False):
    type: str
    id: int
    mode: str
    state: str  # waiting_for_players, waiting_for_ready, active, finished, abandoned
    players: list[PlayerSeat]
    board: list[str | None]
    turn: int | None
    winner_id: int | None
    reason: str | None
    lobby_id: int | None
    version: int
    turn_deadline: float | None
    tick: int
    view: Any  # what this player may see; patched by ``state_patch``


class StatePatch(TypedDict, total=False):
    type: str
    tick: int
    ops: list[dict]  # RFC 6902 JSON Patch from my previous view to my new one
    turn: int | None
    turn_deadline: float | None


class GameOver(TypedDict, total=False):
    type: str
    winner_id: int | None
    reason: str  # win, draw, forfeit, abandoned


class LobbyMessage(TypedDict, total=False):
    id: int
    content: str
    sender: dict
    created_at: str


class ChatMessage(TypedDict, total=False):
    type: str
    message: LobbyMessage


class DirectMessage(TypedDict, total=False):
    id: int
    sender_id: int
    recipient_id: int
    content: str
    created_at: str
    read_at: str | None


class WorldChat(TypedDict, total=False):
    type: str
    channel: str  # global, party, faction
    sender: dict  # {character_id, name, faction}
    message: str
    created_at: str


class Welcome(TypedDict, total=False):
    type: str
    protocol_version: int
    character: dict
    location: dict
    nearby: list[dict]
    world: dict


class LocationUpdate(TypedDict, total=False):
    type: str
    character_id: int
    from_location_id: int
    to_location_id: int


class Badge(TypedDict, total=False):
    type: str
    unread_dms: int
    pending_invites: int
    pending_friend_requests: int


class MatchFound(TypedDict, total=False):
    type: str
    game_id: int


class Sanction(TypedDict, total=False):
    id: int
    action: str  # warn, mute, suspend, ban
    statement: str
    starts_at: str
    ends_at: str | None  # None: no end
    active: bool
    lifted_at: str | None  # lifted by staff or reversed on appeal
    lift_statement: str  # why it was lifted ("" while it was not)
    rule: str  # the key of the rule broken in the studio's rules list
    ground: str  # the rule broken, in words
    facts: str  # what it concerns: my content quoted, or what was seen
    automated: bool  # whether automated means decided it
    appeal_until: str  # the end of its appeal window
    appeal: dict | None  # {status, text, statement, decided_at}


class SanctionNotice(TypedDict, total=False):
    """The ``payload`` of a ``notification`` frame of kind ``sanction``."""

    event: str  # imposed, lifted, appeal_decided
    sanction: Sanction


class ErrorFrame(TypedDict, total=False):
    type: str
    code: str
    message: str
    ref: Any
    fields: dict
    retry_after: float

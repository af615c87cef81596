"""Async Python client for gameplatform: REST, sockets, typed errors and reconnection."""

from .client import GameClient, jwt_claims
from .errors import (
    AccountSuspended,
    ApiError,
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    GameplatformError,
    Gone,
    Muted,
    NotConnected,
    NotFound,
    RateLimited,
    RequestTimeout,
    SocketClosed,
    Unauthorized,
    Unavailable,
    ValidationError,
    VersionConflict,
)
from .frames import Disconnected, ErrorEvent, Frame, MessageType, Reconnected
from .liveops import LiveOps
from .patch import PatchError, apply_patch
from .rooms import BattleRoom, DMRoom, GameRoom, GroupRoom, LobbyRoom, NotificationsSocket, WorldSocket
from .sockets import ReconnectPolicy, Socket

__version__ = "1.1.0"  # the server's version too (docs/versioning.md)

NetworkClient = GameClient  # seed 002's name

__all__ = [
    "AccountSuspended",
    "ApiError",
    "BadRequest",
    "BattleRoom",
    "Conflict",
    "ConnectionFailed",
    "DMRoom",
    "Disconnected",
    "ErrorEvent",
    "Forbidden",
    "Frame",
    "GameClient",
    "GameRoom",
    "GroupRoom",
    "GameplatformError",
    "LiveOps",
    "Gone",
    "LobbyRoom",
    "MessageType",
    "Muted",
    "NetworkClient",
    "NotConnected",
    "NotFound",
    "NotificationsSocket",
    "PatchError",
    "RateLimited",
    "ReconnectPolicy",
    "Reconnected",
    "RequestTimeout",
    "Socket",
    "SocketClosed",
    "Unauthorized",
    "Unavailable",
    "ValidationError",
    "VersionConflict",
    "WorldSocket",
    "apply_patch",
    "jwt_claims",
]

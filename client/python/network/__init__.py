"""Seed 002's networking API (``from network import NetworkClient, MessageType``) on gameplatform.

Seed 002's client code runs unchanged against a gameplatform server: ``NetworkClient`` is the
seed's client on the platform's SDK (``gameplatform_client``), its messages carry the seed's
attribute names, and ``protocol`` serializes them as the platform's frames. What has no server
counterpart (the ``MasterServer``, message-level encryption, sending server-only messages) says
why in its error. The server's address: ``NetworkClient(url=...)``, else ``GAMEPLATFORM_URL``,
else ``http://localhost:8000``. The docs site's SDK page (docs/sdks.md, "Seed 002's `network` module") maps every call.
"""

from gameplatform_client import NotConnected

from . import protocol
from .client import InsecureTransportError, NearbyPlayer, NetworkClient, server_url
from .protocol import (
    ChatMessage,
    ErrorMessage,
    Message,
    MessageType,
    NotSupportedError,
    create_character_update,
    create_chat_message,
    create_shard_captured_message,
)
from .server import MasterServer

__all__ = [
    "ChatMessage",
    "ErrorMessage",
    "InsecureTransportError",
    "MasterServer",
    "Message",
    "MessageType",
    "NearbyPlayer",
    "NetworkClient",
    "NotConnected",
    "NotSupportedError",
    "create_character_update",
    "create_chat_message",
    "create_shard_captured_message",
    "protocol",
    "server_url",
]

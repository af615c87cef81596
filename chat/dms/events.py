"""Payload builders for DM frames (pure functions)."""

from accounts.serializers import PublicUserSerializer
from chat.models import DirectMessage


def message_data(message: DirectMessage) -> dict:
    return {
        "id": message.pk,
        "sender_id": message.sender_id,
        "recipient_id": message.recipient_id,
        "content": message.content,
        "created_at": message.created_at,
        "read_at": message.read_at,
    }


def dm_message(message: DirectMessage) -> dict:
    return {"type": "dm_message", "message": message_data(message)}


def sender_payload(message: DirectMessage) -> dict:
    """Who wrote it (``{id, username, display_name, is_premium}``): a notice can name them."""
    return dict(PublicUserSerializer(message.sender).data)


def dm_received(message: DirectMessage) -> dict:
    return {
        "type": "dm_received",
        "from_user_id": message.sender_id,
        "from_user": sender_payload(message),
        "message_id": message.pk,
    }


def dm_read(*, reader_id: int, peer_id: int, up_to_id: int, count: int) -> dict:
    return {"type": "dm_read", "reader_id": reader_id, "peer_id": peer_id, "up_to_id": up_to_id, "count": count}

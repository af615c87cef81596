"""Payloads of the lobby socket's server frames (pure functions, no database access).

The REST serializers and these builders produce the same shapes, so a message
read from ``GET /api/lobbies/{id}/messages/`` equals the one broadcast.
"""

from rest_framework.fields import DateTimeField

_datetime = DateTimeField()


def timestamp(value) -> str | None:
    """The same ISO 8601 text the REST serializers write, so both channels agree to the microsecond."""
    return _datetime.to_representation(value) if value is not None else None


def user_brief(user) -> dict:
    return {"id": user.pk, "username": user.username, "is_premium": user.is_premium}


def message_payload(message) -> dict:
    return {
        "id": message.pk,
        "content": message.content,
        "sender": user_brief(message.sender),
        "created_at": timestamp(message.created_at),
    }


def lobby_payload(lobby) -> dict:
    return {
        "id": lobby.pk,
        "name": lobby.name,
        "owner": user_brief(lobby.owner),
        "is_public": lobby.is_public,
        "max_participants": lobby.max_participants,
        "status": lobby.status,
        "participant_count": lobby.participant_count,
        "game_id": lobby.game_id,
        "created_at": timestamp(lobby.created_at),
    }


def member_payload(membership) -> dict:
    return {"user": user_brief(membership.user), "role": membership.role, "joined_at": timestamp(membership.joined_at)}


def lobby_detail_payload(lobby, memberships) -> dict:
    return {**lobby_payload(lobby), "members": [member_payload(m) for m in memberships]}


def chat_message(message) -> dict:
    return {"type": "chat_message", "message": message_payload(message)}


def message_deleted(message_id: int) -> dict:
    return {"type": "message_deleted", "id": message_id}


def lobby_state(detail: dict, online_user_ids: list[int]) -> dict:
    return {"type": "lobby_state", "lobby": detail, "online_user_ids": online_user_ids}


def presence_join(user) -> dict:
    return {"type": "presence_join", "user_id": user.pk, "username": user.username, "is_premium": user.is_premium}


def presence_leave(user_id: int, username: str) -> dict:
    return {"type": "presence_leave", "user_id": user_id, "username": username}


def typing(kind: str, user) -> dict:
    return {"type": kind, "user_id": user.pk, "username": user.username}


def moderation(kind: str, target, reason: str) -> dict:
    """``moderation_kick`` / ``moderation_ban``."""
    return {"type": kind, "target_id": target.pk, "target_username": target.username, "reason": reason}


def member_joined(membership) -> dict:
    return {"type": "member_joined", "member": member_payload(membership)}


def member_left(user_id: int, username: str) -> dict:
    return {"type": "member_left", "user_id": user_id, "username": username}


def role_changed(user, role: str) -> dict:
    return {"type": "role_changed", "user_id": user.pk, "username": user.username, "role": role}


def lobby_started(game_id: int | None) -> dict:
    return {"type": "lobby_started", "game_id": game_id}


def lobby_status(status: str) -> dict:
    return {"type": "lobby_status", "status": status}

"""Payloads of the lobby socket's server frames (pure functions, no database access).

The REST serializers and these builders produce the same shapes, so a message
read from ``GET /api/lobbies/{id}/messages/`` equals the one broadcast. The frames
every chat room has (messages, members, roles, presence) are the kit's
(``gameplatform.chat.rooms``), shared with player groups.
"""

from gameplatform.chat.rooms import member_payload, timestamp, user_brief


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


def lobby_detail_payload(lobby, memberships) -> dict:
    return {**lobby_payload(lobby), "members": [member_payload(m) for m in memberships]}


def message_deleted(message_id: int) -> dict:
    return {"type": "message_deleted", "id": message_id}


def lobby_state(detail: dict, online_user_ids: list[int]) -> dict:
    return {"type": "lobby_state", "lobby": detail, "online_user_ids": online_user_ids}


def typing(kind: str, user) -> dict:
    return {"type": kind, "user_id": user.pk, "username": user.username}


def lobby_started(game_id: int | None) -> dict:
    return {"type": "lobby_started", "game_id": game_id}


def lobby_status(status: str) -> dict:
    return {"type": "lobby_status", "status": status}

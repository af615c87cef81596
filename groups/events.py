"""Payloads of the group socket's server frames and the REST answers (pure functions, no database access).

The frames every chat room has (messages, members, roles, presence) are the kit's
(``gameplatform.chat.rooms``), as for lobbies: a message read from
``GET /api/groups/{id}/messages/`` equals the one broadcast.
"""

from gameplatform.chat.rooms import member_payload, timestamp, user_brief


def group_payload(group) -> dict:
    return {
        "id": group.pk,
        "name": group.name,
        "description": group.description,
        "open": group.open,
        "max_members": group.max_members,
        "member_count": group.member_count,
        "created_at": timestamp(group.created_at),
    }


def request_payload(join_request) -> dict:
    return {"user": user_brief(join_request.user), "created_at": timestamp(join_request.created_at)}


def group_state(group, memberships, online_user_ids: list[int]) -> dict:
    detail = {**group_payload(group), "members": [member_payload(m) for m in memberships]}
    return {"type": "group_state", "group": detail, "online_user_ids": online_user_ids}

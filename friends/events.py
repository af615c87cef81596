"""Payload builders for friend frames (pure functions)."""

from accounts.serializers import PublicUserSerializer
from friends.models import FriendRequest


def user_payload(user) -> dict:
    return dict(PublicUserSerializer(user).data)


def request_payload(request: FriendRequest) -> dict:
    return {
        "id": request.pk,
        "from_user": user_payload(request.from_user),
        "to_user": user_payload(request.to_user),
        "status": request.status,
        "created_at": request.created_at,
    }


def friend_request_frame(request: FriendRequest) -> dict:
    return {"type": "friend_request", "request": request_payload(request)}


def friend_accepted_frame(friend) -> dict:
    return {"type": "friend_accepted", "user": user_payload(friend)}


def friend_request_cancelled_frame(request: FriendRequest) -> dict:
    return {"type": "friend_request_cancelled", "request_id": request.pk}


def friend_removed_frame(user_id: int) -> dict:
    return {"type": "friend_removed", "user_id": user_id}


def presence_frame(data: dict) -> dict:
    return {"type": "presence", "user_id": data["user_id"], "status": data["status"]}


class PresenceFilter:
    """Per socket: drops a presence event older than one already shown (events can cross on the wire)."""

    def __init__(self) -> None:
        self.versions: dict[int, int] = {}

    def seen(self, user_id: int, version: int) -> None:
        self.versions[user_id] = max(version, self.versions.get(user_id, 0))

    def is_new(self, data: dict) -> bool:
        user_id, version = data["user_id"], data.get("version", 0)
        if version and version <= self.versions.get(user_id, 0):
            return False
        self.seen(user_id, version)
        return True

    def read(self, data: dict) -> dict | None:
        """The ``presence`` frame for a presence signal, or None when it is stale."""
        return presence_frame(data) if self.is_new(data) else None

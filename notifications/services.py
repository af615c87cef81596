"""Notifications: what other apps call to reach a user's notification socket.

Foundation stubs with the final signatures; the social layer replaces the bodies
(persisted notifications, real badge counts).
"""

from gameplatform.realtime import send_to_user


def notify(*, user_id: int, kind: str, payload: dict, persist: bool = True) -> None:
    """Tell a user something (friend request, invite, DM while away...), after commit."""
    send_to_user(user_id, {"type": "notification", "id": None, "kind": kind, "payload": payload, "created_at": None})


def badge_push(*, user_id: int) -> None:
    """Send the user a fresh ``badge`` frame (after commit), e.g. after a DM or an invite."""

def pending_invite_count(*, user_id: int) -> int:
    """Pending invites addressed to this user (stub until the invites area lands)."""
    return 0

def unread_dm_count(*, user_id: int) -> int:
    """Direct messages to this user not yet read (stub until the DM area lands)."""
    return 0

"""The flags a game's mode reads (``ctx.flag``), taken once when its room is made.

The kit knows no app: the live operations app provides the values (``flags_at_start``, registered
in its ``AppConfig.ready``). Without a provider a game has no flags and ``ctx.flag`` answers its
default. The values are kept in the room's snapshot, so a takeover plays on with the same ones.
"""

from gameplatform.core.hooks import Hook

# Every flag's value for no player, ``{name: value}`` (sync: it may read the database). One provider.
flags_at_start: Hook[[], dict] = Hook("flags_at_start")


def flags_now() -> dict:
    """The flags a room made now starts with (``{}`` when no app provides them)."""
    if not flags_at_start.reactions:
        return {}
    return dict(flags_at_start.one()())

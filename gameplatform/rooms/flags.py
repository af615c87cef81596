"""The flags a game's mode reads (``ctx.flag``), taken once when its room is made.

Two kinds of value, both fixed for the game's life and kept in the room's snapshot (so a takeover
plays on with the same ones):

- the room's (``ctx.flag(name, default)``): each flag as the live operations app gives it for the
  game itself: its rules read with the game's id as their only attribute (an experiment whose
  ``hashAttribute`` is ``game_id`` splits games, not players), a running live event's override first;
- each player's (``ctx.flag(name, default, player=id)``): the flag as that player's own read gives it
  when the game starts (their audience, their experiment's variation, the live events they joined).

The kit knows no app: the live operations app provides the values (``flags_at_start``, registered
in its ``AppConfig.ready``). Without a provider a game has no flags and ``ctx.flag`` answers its
default.
"""

from dataclasses import dataclass, field

from gameplatform.core.hooks import Hook


@dataclass(frozen=True)
class GameFlags:
    """A new room's flags: the room's own, and each player's by id."""

    room: dict = field(default_factory=dict)
    players: dict[int, dict] = field(default_factory=dict)


# The flags of a new game, ``(game id, its players' ids) -> GameFlags`` (sync: it reads the
# database). One provider.
flags_at_start: Hook[[int, list[int]], GameFlags] = Hook("flags_at_start")


def flags_now(game_id: int, player_ids: list[int]) -> GameFlags:
    """The flags a room made now starts with (none when no app provides them)."""
    if not flags_at_start.reactions:
        return GameFlags()
    return flags_at_start.one()(game_id, list(player_ids))

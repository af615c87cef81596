"""What a game's players earn when it ends with a result: XP, once per game and player.

Each player's XP is their mode's declaration for their outcome (``Mode.xp``; else the setting
``GAME_XP``: win 30, draw 15, loss 10) times their value of the flag ``xp_multiplier`` (default
1) as the game fixed it when its room was made (``Game.flags``, the kit's ``flags_at_start``: a
double-XP live event, an experiment on XP; no live read while the result is recorded),
rounded. It is granted through progression's ledger under the reference ``game:<id>``: the
ledger's constraint refuses a second grant of one game to one player, whatever calls this twice.

Registered on ``game_result_recorded`` (``GameConfig.ready``), so it runs in the transaction
that records the result: the XP commits or rolls back with it.
"""

import logging
import math

from django.conf import settings

from game import hooks, registry
from progression.services import player_xp_grant

logger = logging.getLogger(__name__)

REASON = "game_xp"  # the ledger's reason (progression.models.ONCE_REASONS)
MULTIPLIER_FLAG = "xp_multiplier"
MAX_MULTIPLIER = 100  # a flag value past it is a typo: it gives this many times, not a fortune


def outcome_of(*, user_id: int, winner: int | None) -> str:
    if winner is None:
        return "draw"
    return "win" if user_id == winner else "loss"


def xp_of(*, mode: str, outcome: str) -> int:
    """The XP ``mode`` gives for ``outcome``, before the multiplier."""
    declared = getattr(registry.modes().get(mode), "xp", None) or {}
    return declared.get(outcome, settings.GAME_XP[outcome])


def multiplier_of(flags: dict) -> float:
    """The player's ``xp_multiplier``: 1 when it is not a number from 0 to ``MAX_MULTIPLIER``."""
    value = flags.get(MULTIPLIER_FLAG, 1)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_MULTIPLIER:
        logger.warning("xp_multiplier is not a number from 0 to %s: 1 is used", MAX_MULTIPLIER, extra={"value": value})
        return 1
    return value


def flags_of_player(flags: dict, user_id: int) -> dict:
    """A player's flags as the game fixed them when its room was made (``Game.flags``: their own
    read, else the game's own values for a player seated later), empty for a game that has none."""
    return flags.get("players", {}).get(str(user_id)) or flags.get("room") or {}


def game_xp_grant(
    *, game_id: int, mode: str, winner: int | None, user_ids: list[int], flags: dict | None = None, **_
) -> dict[int, int]:
    """Grant each of ``user_ids`` the XP of game ``game_id``: ``{user id: XP granted now}`` (0 for
    a player granted before, or whose XP is 0), each multiplied by their ``xp_multiplier`` as the
    game fixed it (``flags``: the game's record). Players in id order: their rows are locked so."""
    players = sorted(set(user_ids))
    granted = {}
    for user_id in players:
        outcome = outcome_of(user_id=user_id, winner=winner)
        multiplier = multiplier_of(flags_of_player(flags or {}, user_id))
        xp = math.floor(xp_of(mode=mode, outcome=outcome) * multiplier + 0.5)
        done = player_xp_grant(user_id=user_id, xp=xp, reason=REASON, reference=f"game:{game_id}")
        granted[user_id] = xp if done else 0
        if done or xp == 0:
            hooks.player_rewarded(game_id=game_id, mode=mode, user_id=user_id, outcome=outcome, xp=granted[user_id])
    return granted

"""What a game's players earn when it ends with a result: XP, once per game and player.

Each player's XP is their mode's declaration for their outcome (``Mode.xp``; else the setting
``GAME_XP``: win 30, draw 15, loss 10) times their value of the flag ``xp_multiplier`` (default
1) as the game fixed it when its room was made (``Game.flags``, the kit's ``flags_at_start``: a
double-XP live event, an experiment on XP; no live read while the result is recorded),
rounded. It is granted through progression's ledger under the reference ``game:<id>``: the
ledger's constraint refuses a second grant of one game to one player, whatever calls this twice.

Called by ``game.services`` once for the games a result transaction ends (``games_xp_grant``), so
it runs in the transaction that records the results: the XP commits or rolls back with them.
"""

import logging
import math

from django.conf import settings

from game import hooks, registry
from progression.services import players_xp_grant

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


def games_xp_grant(games: list[dict]) -> dict[tuple[int, int], int]:
    """Grant the XP of the games a result transaction ends: each of ``games`` is ``{game_id, mode,
    winner, user_ids, flags}`` (``flags``: the game's record, which the multipliers are read from).
    Answers ``{(game id, user id): XP granted now}`` (0 for a player granted before, or whose XP
    is 0). One grant for the whole batch (``players_xp_grant``: the same statements for one game
    or fifty), then one ``players_rewarded`` for the batch."""
    grants = []  # (game, user id, outcome, xp)
    for game in games:
        flags = game.get("flags") or {}
        for user_id in sorted(set(game["user_ids"])):
            outcome = outcome_of(user_id=user_id, winner=game["winner"])
            multiplier = multiplier_of(flags_of_player(flags, user_id))
            xp = math.floor(xp_of(mode=game["mode"], outcome=outcome) * multiplier + 0.5)
            grants.append((game, user_id, outcome, xp))
    done = players_xp_grant(
        grants=[(user_id, xp, f"game:{game['game_id']}") for game, user_id, _, xp in grants], reason=REASON
    )
    granted, rewarded = {}, []
    for game, user_id, outcome, xp in grants:
        now = (user_id, f"game:{game['game_id']}") in done
        granted[game["game_id"], user_id] = xp if now else 0
        if now or xp == 0:
            rewarded.append(
                {"game_id": game["game_id"], "mode": game["mode"], "user_id": user_id, "outcome": outcome, "xp": xp}
            )
    if rewarded:
        hooks.players_rewarded(rewarded)
    return granted

from gameplatform.operations.timers import periodic
from leaderboards.services import leaderboards_reset_due, tournaments_end_due


@periodic("leaderboards.reset", every=1.0)
def reset_due_leaderboards() -> int:
    """Boards whose cron time came start a new period, once (a conditional update on the period)."""
    return leaderboards_reset_due()


@periodic("leaderboards.end_tournaments", every=1.0)
def end_due_tournaments() -> int:
    """Tournaments past their end pay their rewards by rank, once per (tournament, user)."""
    return tournaments_end_due()

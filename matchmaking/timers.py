"""The queue's matcher (every second) and invite expiry (every 0.25 s); ``python manage.py
run_timers``, or the server itself by default, runs them.

Each due invite is expired by a conditional update, so with several runners
exactly one emits ``invite_expired`` for it.
"""

from gameplatform.timers import periodic
from matchmaking.invites.services import invites_expire_due
from matchmaking.queue.selectors import modes_with_waiting_pairs
from matchmaking.queue.services import queue_match


@periodic("matchmaking.queue.match", every=1.0)
def match_waiting_players() -> int:
    """Re-run the matcher: waiting players' rating gaps widen with time, even when nobody joins."""
    return sum(len(queue_match(mode=mode)) for mode in modes_with_waiting_pairs())


@periodic("invites.expire", every=0.25)
def expire_due_invites() -> int:
    return invites_expire_due()

"""The queue's matcher and its check of who is still there (every second), and invite expiry
(every 0.25 s); ``python manage.py run_timers``, or the server itself by default, runs them.

Each due invite is expired by a conditional update, so with several runners
exactly one emits ``invite_expired`` for it.
"""

from gameplatform.operations.timers import periodic
from matchmaking.invites.services import invites_expire_due
from matchmaking.queue.selectors import modes_with_waiting_pairs
from matchmaking.queue.services import queue_drop_absent, queue_match


@periodic("matchmaking.queue.match", every=1.0)
def match_waiting_players() -> int:
    """Re-run the matcher: waiting players' rating gaps widen with time, even when nobody joins."""
    return sum(len(queue_match(mode=mode)) for mode in modes_with_waiting_pairs())


@periodic("matchmaking.queue.absent", every=1.0)
def drop_absent_players() -> int:
    """Queued players whose client is gone (no socket on a running process, no join or status
    request for ``QUEUE_ALIVE_SECONDS``) leave the queue: a batch of the longest unseen a pass."""
    return queue_drop_absent()


@periodic("invites.expire", every=0.25)
def expire_due_invites() -> int:
    return invites_expire_due()

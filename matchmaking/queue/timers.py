from gameplatform.timers import periodic
from matchmaking.queue.selectors import modes_with_waiting_pairs
from matchmaking.queue.services import queue_match


@periodic("matchmaking.queue.match", every=1.0)
def match_waiting_players() -> int:
    """Re-run the matcher: waiting players' rating gaps widen with time, even when nobody joins."""
    return sum(len(queue_match(mode=mode)) for mode in modes_with_waiting_pairs())

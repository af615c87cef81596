"""Live operations' timers: live events start and end by the clock (each second, tell connected
players when the set of running occurrences changed since the last look,
``liveops.schedule.running``), inbox messages are delivered when their send time comes, and
analytics events are rolled up by day and their raw rows dropped after ``ANALYTICS_RAW_DAYS``."""

from django.utils import timezone

from gameplatform.broadcast.groups import everyone_group
from gameplatform.broadcast.realtime import send_now
from gameplatform.operations.timers import periodic
from liveops.analytics.services import events_forget, events_roll_up
from liveops.inbox.services import messages_deliver_due
from liveops.schedule import running
from liveops.services import CHANGED_FRAME


class Seen:
    # This runner's last look; None before its first (a runner that just took the lease over
    # starts from what runs then: a boundary in the handover, at most the lease's seconds, is not
    # pushed, and clients see it at their next read).
    running: frozenset | None = None


@periodic("liveops.live_events", every=1.0)
def push_live_event_boundaries(now=None) -> bool:
    """Push ``liveops_changed`` when an event (or an occurrence) started or ended since the last
    look. The answers already change by themselves (they are computed from the clock, and the
    ETag hashes the running occurrences); a look reads the process's copy of the events, one
    version query a second at most. Returns whether it pushed."""
    keys = running.running_keys(now or timezone.now())
    changed = Seen.running is not None and keys != Seen.running
    Seen.running = keys
    if changed:
        send_now(everyone_group(), CHANGED_FRAME)
    return changed


@periodic("liveops.deliver_messages", every=1.0)
def deliver_messages() -> int:
    """Inbox messages whose send time has come are delivered to the players they match."""
    return messages_deliver_due()


@periodic("liveops.analytics_roll_up", every=60.0)
def roll_up_events() -> int:
    """Each finished hour's analytics events are added to their day's roll-up (per name and player), once."""
    return events_roll_up()


@periodic("liveops.analytics_retention", every=10.0)
def forget_old_events() -> int:
    """Raw analytics events older than ``ANALYTICS_RAW_DAYS`` go, once they are rolled up."""
    return events_forget()

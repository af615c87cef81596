"""Webhooks' timers: due deliveries are sent each second (``services.deliveries_send_due``), and
the live events' starts and ends become events (``live_events.live_events_look``)."""

from gameplatform.operations.timers import periodic
from webhooks.live_events import live_events_look
from webhooks.services import deliveries_send_due


@periodic("webhooks.deliver", every=1.0)
def deliver() -> int:
    """Due webhook deliveries are sent, each by one runner (docs/webhooks.md)."""
    return deliveries_send_due()


@periodic("webhooks.live_events", every=1.0)
def live_events() -> int:
    """A live event's start and end are sent as webhooks, once each."""
    return live_events_look()

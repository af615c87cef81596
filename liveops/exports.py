"""This app's part of the player's data export (``accounts.exports``)."""

from accounts.exports import ExportPart, rows
from liveops.models import AnalyticsDay, AnalyticsEvent, Exposure, InboxEntry, LiveEventJoin, PlayerAttributes


def liveops_part(user) -> dict:
    attributes = rows(PlayerAttributes.objects.filter(user=user))
    return {
        "attributes": attributes[0] if attributes else None,
        "events": rows(AnalyticsEvent.objects.filter(user=user)),
        "event_days": rows(AnalyticsDay.objects.filter(user=user)),
        "exposures": rows(Exposure.objects.filter(user=user)),
        "inbox": rows(InboxEntry.objects.filter(user=user)),
        "live_events_joined": rows(LiveEventJoin.objects.filter(user=user)),
    }


PARTS = {
    "liveops": ExportPart(
        liveops_part,
        covers=(
            "liveops.PlayerAttributes.user",
            "liveops.AnalyticsEvent.user",
            "liveops.AnalyticsDay.user",
            "liveops.Exposure.user",
            "liveops.InboxEntry.user",
            "liveops.LiveEventJoin.user",
            # A staff member's inbox messages are the studio's, not the staff's data.
            "liveops.Message.created_by",
        ),
    )
}

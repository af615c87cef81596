"""Demo live operations, so that /play/ shows them at once: a flag (``xp_multiplier``), a double-XP
weekend (a recurring live event that raises it), a festival running now that players join
(explicit), and a welcome message in the demo users' inboxes.

Each is made through the services (validated, audited, pushed) and only when missing, by name:
seeding again changes nothing, and a studio's edits to the demo are kept."""

from datetime import timedelta

from django.utils import timezone

from liveops import services
from liveops.inbox import services as inbox_services
from liveops.inbox.models import Message
from liveops.models import Flag
from liveops.schedule import services as schedule_services
from liveops.schedule.models import LiveEvent

FLAG = "xp_multiplier"
WEEKEND = "Double XP weekend"
FESTIVAL = "Launch festival"
WELCOME = "Welcome to gameplatform"
YEAR = timedelta(days=365)


def _flag() -> None:
    if not Flag.objects.filter(name=FLAG).exists():
        services.flag_create(
            staff=None,
            name=FLAG,
            description="How much XP a game gives: 1, or what a running live event says (the double-XP weekend).",
            default_value=1,
        )


def _events(now) -> None:
    _event(
        WEEKEND,
        description="Every weekend, from Saturday 00:00 UTC to Monday 00:00 UTC.",
        value={"title": "Double XP weekend", "text": "Every game earns twice the XP until Monday."},
        # Begun a week ago, so that a demo seeded on a Sunday has its weekend running.
        starts_at=now - timedelta(days=7),
        ends_at=now + YEAR,
        recurrence="0 0 * * 6",
        duration_seconds=2 * 24 * 3600,
        overrides={FLAG: 2},
    )
    _event(
        FESTIVAL,
        description="The launch of the demo server: join to take part.",
        value={"title": "Launch festival", "text": "Join the festival: a game a day, a prize at the end."},
        starts_at=now,
        ends_at=now + YEAR,
        join=LiveEvent.EXPLICIT,
    )


def _event(name: str, **fields) -> None:
    """The live event ``name``, made by staff nobody unless a run before made it."""
    if not LiveEvent.objects.filter(name=name).exists():
        schedule_services.live_event_create(staff=None, name=name, **fields)


def _welcome(usernames: list[str]) -> None:
    if Message.objects.filter(title=WELCOME, created_by=None).exists():
        return
    message = inbox_services.message_create(
        staff=None,
        title=WELCOME,
        body="Live events show in the banner above; messages like this one land here. Have fun!",
        condition={"username": {"$in": usernames}},
    )
    inbox_services.message_deliver(message_id=message.pk)


def seed(*, users, stdout) -> None:
    _flag()
    _events(timezone.now())
    _welcome(sorted(users))
    stdout.write(f"liveops: flag {FLAG!r}, live events {WEEKEND!r} and {FESTIVAL!r}, message {WELCOME!r}")


def clear() -> None:
    Flag.objects.filter(name=FLAG).delete()
    LiveEvent.objects.filter(name__in=[WEEKEND, FESTIVAL]).delete()
    Message.objects.filter(title=WELCOME, created_by=None).delete()
    services.liveops_changed()

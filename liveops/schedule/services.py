"""Changes to live events. A staff change is validated, audited and raises the live-operations
version in its transaction, and pushes ``liveops_changed`` after the commit (as a flag change
does, ``liveops.services.liveops_changed``); a player joins an explicit event while it runs."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from gameplatform.core.cron import Cron, CronError
from gameplatform.core.errors import Conflict, NotFound
from gameplatform.http import serializers
from liveops import conditions, selectors, services
from liveops.records import Versioned
from liveops.schedule import running
from liveops.schedule.models import LiveEvent, LiveEventJoin
from liveops.validation import validate_name

FIELDS = (
    "name",
    "description",
    "value",
    "starts_at",
    "ends_at",
    "recurrence",
    "duration_seconds",
    "timezone",
    "condition",
    "join",
    "overrides",
)
EVENT_TARGET = "liveops.live_event"  # the audit log's target_type of an event's changes
MAX_DURATION = timedelta(days=7)  # bounds the walk back to an occurrence's start (``cron``)


def _problem(fields: dict) -> tuple[str, str] | None:
    if fields["ends_at"] <= fields["starts_at"]:
        return "ends_at", "Must be after starts_at."
    if not isinstance(fields["condition"], dict):
        return "condition", "Must be a JSON object (a GrowthBook condition)."
    found = conditions.problem(fields["condition"])
    if found is not None:
        return "condition", f"condition {found}"
    if not isinstance(fields["overrides"], dict):
        return "overrides", "Must be a JSON object: {flag name: value}."
    zone = fields["timezone"]
    if zone != running.PLAYER_ZONE and running.zone_named(zone) is None:
        return "timezone", f'{zone!r} is no IANA time zone name (Europe/Paris, Asia/Tokyo, UTC) nor "player".'
    if zone == running.PLAYER_ZONE and fields.get("join") == LiveEvent.EXPLICIT:
        return "timezone", "An explicit event's occurrence is the one its players join together: name a time zone."
    if fields["recurrence"]:
        try:
            Cron.parse(fields["recurrence"])
        except CronError as exc:
            return "recurrence", str(exc)
        if not fields["duration_seconds"]:
            return "duration_seconds", "A recurring event needs its duration."
        if timedelta(seconds=fields["duration_seconds"]) > MAX_DURATION:
            return "duration_seconds", f"At most {int(MAX_DURATION.total_seconds())} seconds."
    return None


def _with_optional(fields: dict) -> dict:
    """``fields`` with what an event may be written without (a create and a replace alike)."""
    optional = {"recurrence": "", "duration_seconds": None, "timezone": "UTC", "condition": {}, "overrides": {}}
    return {**optional, **fields}


def live_event_validate(fields: dict) -> None:
    """Refuse an event's fields as the API does, naming the field (the admin's form asks first)."""
    problem = _problem(fields)
    if problem is not None:
        raise serializers.ValidationError({problem[0]: [problem[1]]})
    for name in fields["overrides"]:
        try:
            validate_name(name)
        except serializers.ValidationError:
            raise serializers.ValidationError({"overrides": [f"{name!r} is not a flag name."]}) from None


def _detail(event: LiveEvent) -> dict:
    return {f: v.isoformat() if isinstance(v, datetime) else v for f in FIELDS for v in [getattr(event, f)]}


def _event_fields(fields: dict) -> dict:
    fields = _with_optional(fields)
    live_event_validate(fields)
    return fields


def _changed(event: LiveEvent, action: str) -> None:
    services.liveops_changed()
    transaction.on_commit(running.expire)


EVENTS = Versioned(
    model=LiveEvent,
    target_type=EVENT_TARGET,
    prefix="live_event",
    detail=_detail,
    validate=_event_fields,
    changed=_changed,
    not_found=lambda event_id: NotFound(f"No live event {event_id}.", code="live_event_not_found"),
)


@transaction.atomic
def live_event_create(*, staff: User | None, **fields) -> LiveEvent:
    return EVENTS.create(staff, fields)


@transaction.atomic
def live_event_update(*, staff: User | None, event_id: int, **fields) -> LiveEvent:
    """Replace an event whole (a PUT)."""
    return EVENTS.replace(staff, EVENTS.locked(pk=event_id), "update", fields, {})


@transaction.atomic
def live_event_rollback(*, staff: User | None, event_id: int, audit_id: int) -> LiveEvent:
    """Put back every field an event had right after the change ``audit_id`` (an entry of its
    history, ``liveops.selectors.change_history``), validated as an update is. Audited as
    ``live_event.rollback`` (before, after and the entry); 404 ``version_not_found`` for an entry
    that is not a version of this event."""
    event = EVENTS.locked(pk=event_id)
    version = EVENTS.version(event, audit_id, f"the live event {event_id}")
    fields = {name: version[name] for name in FIELDS if name in version}
    for name in ("starts_at", "ends_at"):
        fields[name] = datetime.fromisoformat(fields[name])
    return EVENTS.replace(staff, event, "rollback", fields, {"audit_id": audit_id})


@transaction.atomic
def live_event_delete(*, staff: User | None, event_id: int) -> None:
    EVENTS.delete(staff, EVENTS.locked(pk=event_id))


def live_event_join(*, user: User, event_id: int, at: datetime | None = None) -> running.Occurrence:
    """Join the running occurrence of an event I see: 404 ``live_event_not_found`` when there is
    none for me, 409 ``not_active`` outside its time. Joining twice is joining once."""
    at = at or timezone.now()
    event = LiveEvent.objects.filter(pk=event_id).first()
    if event is None or not running.matches(event, selectors.player_attributes(user=user)):
        raise NotFound(f"No live event {event_id}.", code="live_event_not_found")
    occurrence = running.occurrence_at(running.compiled_event(event), at)
    if occurrence is None:
        raise Conflict("This live event is not running now.", code="not_active")
    LiveEventJoin.objects.bulk_create(
        [LiveEventJoin(event=event, user=user, occurrence_start=occurrence.starts_at)], ignore_conflicts=True
    )
    return occurrence

"""Which live events run now: computed from each process's copy of the events not yet over.

The copy is a ``gameplatform.core.copies.ProcessCopy`` keyed by the live-operations version (as the
flags are, ``liveops.cache``): a staff change is seen within a second; what changes with time (an
event starting, ending, an occurrence of a recurring one) is computed from the clock at each read,
so a process needs no signal for it. The timer (``liveops.timers``) only tells the clients.

A recurrence is read in the event's time zone (``timezone``: an IANA name), or, for ``player``,
in each player's own (``for_player``): such an event is not in what runs for everyone
(``running``), but in each player's answer, read with their attributes.
"""

from contextlib import suppress
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache as remembered
from typing import NamedTuple
from zoneinfo import ZoneInfo, available_timezones

from gameplatform.core.copies import ProcessCopy
from gameplatform.core.cron import Cron, CronError
from liveops import cache, conditions, selectors
from liveops.schedule import selectors as schedule_selectors
from liveops.schedule.models import LiveEvent

PLAYER_ZONE = "player"  # a live event's ``timezone``: its recurrence read in each player's own


@remembered
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@remembered
def zone_named(name: str) -> tzinfo | None:
    """The IANA time zone ``name`` (``UTC`` is datetime's own), or None for a name that is none:
    only the names the time zone database lists, never a path."""
    if name == "UTC":
        return UTC
    return ZoneInfo(name) if isinstance(name, str) and name in _zone_names() else None


def player_zone(attributes: dict | None) -> tzinfo:
    """A player's own time zone: their ``custom.timezone`` attribute (what ``/play/`` sends, the
    browser's), UTC when they sent none or one that is no IANA name (and for anonymous players)."""
    custom = (attributes or {}).get("custom")
    name = custom.get("timezone") if isinstance(custom, dict) else None
    return (zone_named(name) if isinstance(name, str) else None) or UTC


class Event(NamedTuple):
    event: LiveEvent
    cron: Cron | None
    zone: tzinfo | None = UTC  # where its recurrence is read; None: in each player's own (``PLAYER_ZONE``)


def compiled_event(event: LiveEvent) -> Event:
    """An event with its recurrence parsed and its time zone found."""
    cron = Cron.parse(event.recurrence) if event.recurrence else None
    zone = None if event.timezone == PLAYER_ZONE else (zone_named(event.timezone) or UTC)
    return Event(event, cron, zone)


class Events(NamedTuple):
    """A process's copy of the live events not yet over, and what their conditions may read."""

    events: tuple[Event, ...]
    reads: frozenset[str]  # the attribute names their conditions may read (``cache.names_in``)


class Occurrence(NamedTuple):
    event: LiveEvent
    starts_at: datetime
    ends_at: datetime


def _compile(events: list[LiveEvent]) -> Events:
    compiled = tuple(compiled_event(e) for e in events)
    return Events(compiled, cache.names_in([e.condition for e in events]))


EVENTS: ProcessCopy[Events] = ProcessCopy(
    lambda: _compile(schedule_selectors.live_events_not_over()),
    empty=_compile([]),
    version=selectors.liveops_version,
    every=cache.CHECK_SECONDS,
    clock=lambda: cache.clock(),
)


def occurrence_at(compiled: Event, at: datetime, zone: tzinfo | None = None) -> Occurrence | None:
    """The occurrence of an event running at ``at`` (a one-off event's whole time), or None; a
    recurrence read in ``zone`` (a player's, for an event in each player's own), else the event's."""
    event = compiled.event
    zone = zone or compiled.zone or UTC
    if not event.starts_at <= at < event.ends_at:
        return None
    if compiled.cron is None:
        return Occurrence(event, event.starts_at, event.ends_at)
    duration = timedelta(seconds=event.duration_seconds or 0)
    # The latest start whose occurrence is not over; occurrences of one event do not overlap.
    start = compiled.cron.latest_at_or_before(at, not_before=max(event.starts_at, at - duration), tz=zone)
    if start is None or start + duration <= at:
        return None
    return Occurrence(event, start, min(start + duration, event.ends_at))


def current() -> Events:
    """The process's copy of the live events, at most ``cache.CHECK_SECONDS`` behind the database."""
    return EVENTS.get()


class _Window(NamedTuple):
    """What runs from ``since`` until ``until`` (the first moment it may change) of ``events``."""

    events: Events
    since: datetime
    until: datetime
    occurrences: list[Occurrence]


# The last window computed: every player's request asks what runs now, and it changes only at an
# event's start or end or a recurrence's next start.
_window: _Window | None = None


def running(at: datetime, events: Events | None = None) -> list[Occurrence]:
    """Every occurrence running at ``at`` (of ``events``, else the process's copy), the latest
    started last. What it gives is shared: not to be changed."""
    global _window
    events = events or EVENTS.get()
    window = _window
    if window is not None and window.events is events and window.since <= at < window.until:
        return window.occurrences
    found = (occurrence_at(compiled, at) for compiled in events.events if not per_player(compiled))
    occurrences = sorted((o for o in found if o is not None), key=lambda o: (o.starts_at, o.event.pk))
    _window = _Window(events, at, _next_change(events, at), occurrences)
    return occurrences


def _next_change(events: Events, at: datetime) -> datetime:
    """The first moment after ``at`` at which what runs of ``events`` may change (or later than
    any: the end of time): an event's start or end, an occurrence's end, a recurrence's next start."""
    moments = []
    for compiled in events.events:
        event = compiled.event
        moments += [event.starts_at, event.ends_at]
        if compiled.cron is not None and at < event.ends_at and not per_player(compiled):
            with suppress(CronError):  # one that never matches starts nothing
                moments.append(compiled.cron.next_after(at.astimezone(compiled.zone)))
            occurrence = occurrence_at(compiled, at)
            if occurrence is not None:
                moments.append(occurrence.ends_at)
    return min((moment for moment in moments if moment > at), default=datetime.max.replace(tzinfo=UTC))


def per_player(compiled: Event) -> bool:
    """Whether an event recurs in each player's own time zone: what runs of it depends on who asks."""
    return compiled.zone is None and compiled.cron is not None


def for_player(
    occurrences: list[Occurrence], attributes: dict | None, at: datetime, events: Events | None = None
) -> list[Occurrence]:
    """``occurrences`` (``running``) with those of the events recurring in each player's own time
    zone, read in this player's (``player_zone``), the latest started last."""
    events = events or EVENTS.get()
    mine = [compiled for compiled in events.events if per_player(compiled)]
    if not mine:
        return occurrences
    zone = player_zone(attributes)
    found = [o for o in (occurrence_at(compiled, at, zone) for compiled in mine) if o is not None]
    return sorted([*occurrences, *found], key=lambda o: (o.starts_at, o.event.pk)) if found else occurrences


_OFFSETS: dict[datetime, tuple[tzinfo, ...]] = {}


def _offsets_at(at: datetime) -> tuple[tzinfo, ...]:
    """One fixed-offset zone for each UTC offset some time zone has at ``at``'s hour."""
    hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    found = _OFFSETS.get(hour)
    if found is None:
        offsets = {ZoneInfo(name).utcoffset(hour) for name in _zone_names()} | {timedelta(0)}
        found = tuple(timezone(offset) for offset in sorted(offsets))
        _OFFSETS.clear()
        _OFFSETS[hour] = found
    return found


def running_keys(at: datetime) -> frozenset[tuple[int, datetime]]:
    """``(event id, occurrence start)`` of what runs at ``at``, for someone: the occurrences of the
    events recurring in each player's own zone in every UTC offset some zone has now (what the
    push timer compares: a player's weekend starting in Tokyo is a change)."""
    keys = {(o.event.pk, o.starts_at) for o in running(at)}
    mine = [compiled for compiled in EVENTS.get().events if per_player(compiled)]
    for zone in _offsets_at(at) if mine else ():
        for compiled in mine:
            occurrence = occurrence_at(compiled, at, zone)
            if occurrence is not None:
                keys.add((occurrence.event.pk, occurrence.starts_at))
    return frozenset(keys)


def matches(event: LiveEvent, attributes: dict | None) -> bool:
    """Whether ``event``'s condition (GrowthBook's, as a rule's) holds for a player's ``attributes``
    (None: anonymous, who sees only the events without a condition)."""
    if not event.condition:
        return True
    return attributes is not None and conditions.matches(attributes, conditions.compiled(event.condition))


def explicit(occurrences: list[Occurrence]) -> list[tuple[int, datetime]]:
    """``(event id, occurrence start)`` of the ``occurrences`` a player joins explicitly: which of
    them a player joined is read with their attributes (``liveops.selectors.player_read``)."""
    return [(o.event.pk, o.starts_at) for o in occurrences if o.event.join == LiveEvent.EXPLICIT]


def applies(occurrence: Occurrence, joined: set) -> bool:
    """Whether an occurrence's overrides apply to a player: an auto event's to every player it
    matches, an explicit one's only once they joined it (``joined``: ``(event id, occurrence start)``)."""
    event = occurrence.event
    return event.join == LiveEvent.AUTO or (event.pk, occurrence.starts_at) in joined


def live_events_for(occurrences: list[Occurrence], *, attributes: dict | None, joined: set) -> tuple[list[dict], dict]:
    """What ``GET /api/liveops/`` says of live events for a player (``attributes`` None:
    anonymous): the ``occurrences`` running (``running``) that they match, and the flags' values
    these override (the latest started last, so it wins); ``joined`` the explicit ones they joined,
    whose overrides alone of the explicit ones apply."""
    mine = [o for o in occurrences if matches(o.event, attributes)]
    overrides = {name: value for name, (value, _) in _overrides([o for o in mine if applies(o, joined)]).items()}
    return [_event_answer(o, joined) for o in mine], overrides


def _overrides(mine: list[Occurrence]) -> dict[str, tuple[object, LiveEvent]]:
    """``{flag: (value, event)}``: the latest started occurrence's override wins."""
    overrides: dict = {}
    for occurrence in mine:
        overrides.update((name, (value, occurrence.event)) for name, value in occurrence.event.overrides.items())
    return overrides


class Override(NamedTuple):
    """A running event's override of a flag for one player (the admin's preview): ``joined`` False
    for an explicit event they have not joined, whose override applies once they join it."""

    value: object
    event: LiveEvent
    joined: bool


def overrides_for(*, attributes: dict | None, joined: set, at: datetime) -> dict[str, Override]:
    """Each flag a running event overrides for a player, with the value and the event that gives it
    (the admin's preview: why a player gets a value). An override that applies wins; a flag only
    an unjoined explicit event overrides gets that one, ``joined`` False."""
    mine = [o for o in for_player(running(at), attributes, at) if matches(o.event, attributes)]
    waiting = [o for o in mine if not applies(o, joined)]
    found = {name: Override(value, event, False) for name, (value, event) in _overrides(waiting).items()}
    applying = [o for o in mine if applies(o, joined)]
    found.update((name, Override(value, event, True)) for name, (value, event) in _overrides(applying).items())
    return found


def _event_answer(occurrence: Occurrence, joined: set) -> dict:
    event = occurrence.event
    return {
        "id": event.pk,
        "name": event.name,
        "description": event.description,
        "value": event.value,
        "starts_at": occurrence.starts_at.isoformat().replace("+00:00", "Z"),
        "ends_at": occurrence.ends_at.isoformat().replace("+00:00", "Z"),
        "join": event.join,
        "joined": event.join == LiveEvent.AUTO or (event.pk, occurrence.starts_at) in joined,
    }


def expire() -> None:
    EVENTS.expire()


def forget() -> None:
    EVENTS.forget()

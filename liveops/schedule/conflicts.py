"""A live event overriding a flag an experiment runs on: while the event runs, the players it
matches see its value whatever their variation, and the experiment's results for that time
measure the event, not the variations. Nothing refuses it (a studio may mean it: a holiday event
beats a price test); the staff answers of both (``warnings``) and the admin say it.

Each read is one query, for one object or a whole list."""

from collections.abc import Iterable

from django.utils import timezone

from liveops.models import Flag
from liveops.schedule.models import LiveEvent


def experiment_keys(rules) -> list[str]:
    """The keys of a flag's experiment rules (a rollout without a key is none)."""
    return [
        rule["key"]
        for rule in (rules if isinstance(rules, list) else ())
        if isinstance(rule, dict) and "variations" in rule and isinstance(rule.get("key"), str)
    ]


def _warning(event: LiveEvent, flag: str, keys: list[str]) -> str:
    experiments = ", ".join(repr(key) for key in keys)
    return (
        f"Live event #{event.pk} {event.name!r} overrides the flag {flag!r}, which runs the experiment "
        f"{experiments}: while it runs, the players it matches see its value whatever their variation, "
        f"and the experiment's results for that time are spoiled."
    )


def event_warnings(events: Iterable[LiveEvent]) -> dict[int, list[str]]:
    """``{event id: [warning]}`` for each of ``events`` not over whose overrides name a flag an
    experiment runs on."""
    now = timezone.now()
    events = [event for event in events if event.ends_at > now and isinstance(event.overrides, dict)]
    names = {name for event in events for name in event.overrides}
    rules = dict(Flag.objects.filter(name__in=names).values_list("name", "rules")) if names else {}
    found = {}
    for event in events:
        keyed = ((flag, experiment_keys(rules.get(flag))) for flag in sorted(event.overrides))
        found[event.pk] = [_warning(event, flag, keys) for flag, keys in keyed if keys]
    return found


def flag_warnings(flags: Iterable[Flag]) -> dict[str, list[str]]:
    """``{flag name: [warning]}`` for each of ``flags`` an experiment runs on that a live event not
    over overrides."""
    experimented = {flag.name: keys for flag in flags if (keys := experiment_keys(flag.rules))}
    if not experimented:
        return {}
    events = LiveEvent.objects.filter(ends_at__gt=timezone.now(), overrides__has_any_keys=list(experimented))
    events = events.order_by("starts_at", "pk")
    found: dict[str, list[str]] = {}
    for event in events:
        overrides = event.overrides if isinstance(event.overrides, dict) else {}
        for name in sorted(overrides.keys() & experimented.keys()):
            found.setdefault(name, []).append(_warning(event, name, experimented[name]))
    return found

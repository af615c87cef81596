"""Experiment results: the players exposed to each variation of an experiment, how many of them
sent a goal event after their first exposure, and the sample-ratio-mismatch p-value of the split
against the experiment's weights. One query counts everything (a group by variation with two
``EXISTS`` per exposure), whatever the number of players.

A goal event is in the raw events, in the daily roll-up, or in both (a rolled-up day kept raw
until its retention ends); the roll-up keeps each day's last ``received_at``, so "a goal at or
after the exposure" reads the same from either: the latest goal event came after the exposure."""

from django.db.models import Count, Exists, OuterRef, Q

from liveops import selectors as liveops_selectors
from liveops.analytics.models import AnalyticsDay, AnalyticsEvent
from liveops.analytics.stats import srm_p_value
from liveops.models import Exposure


def experiment_weights(*, key: str) -> list[float] | None:
    """The weights of the flag rule whose experiment ``key`` this is; None when no flag has it."""
    for _, _, rules in liveops_selectors.flag_rows():
        for rule in rules if isinstance(rules, list) else ():
            if isinstance(rule, dict) and rule.get("key") == key and "variations" in rule:
                count = len(rule["variations"])
                return [float(weight) for weight in rule.get("weights") or [1 / count] * count]
    return None


def experiment_keys(*, limit: int = 500) -> list[str]:
    """The experiments: the keys of the flags' experiment rules and those players were exposed to
    (a rule removed since), sorted."""
    keys = {
        rule["key"]
        for _, _, rules in liveops_selectors.flag_rows()
        for rule in (rules if isinstance(rules, list) else ())
        if isinstance(rule, dict) and "variations" in rule and isinstance(rule.get("key"), str)
    }
    keys |= set(Exposure.objects.order_by("key").values_list("key", flat=True).distinct()[:limit])
    return sorted(keys)[:limit]


def exposure_counts(*, key: str, goal: str) -> dict[int, tuple[int, int]]:
    """``{variation: (players, converted)}``: a player converted when they sent ``goal`` (received
    by the server) at or after their first exposure."""
    raw = AnalyticsEvent.objects.filter(user_id=OuterRef("user_id"), name=goal, received_at__gte=OuterRef("first_at"))
    rolled = AnalyticsDay.objects.filter(user_id=OuterRef("user_id"), name=goal, last_at__gte=OuterRef("first_at"))
    rows = (
        Exposure.objects.filter(key=key)
        .values("variation")
        .annotate(players=Count("pk"), converted=Count("pk", filter=Q(Exists(raw)) | Q(Exists(rolled))))
        .order_by("variation")
    )
    return {row["variation"]: (row["players"], row["converted"]) for row in rows}


def experiment_results(*, key: str, goal: str) -> dict | None:
    """``{variations: [{variation, players, converted, rate}], srm_p}``; None for an experiment
    that no flag has and nobody was exposed to. Without its flag, the weights are equal."""
    counts = exposure_counts(key=key, goal=goal)
    weights = experiment_weights(key=key)
    if weights is None:
        if not counts:
            return None
        size = max(counts) + 1
        weights = [1 / size] * size
    size = max(len(weights), max(counts, default=-1) + 1)
    weights = weights + [0.0] * (size - len(weights))  # a variation exposed but gone from the rule
    variations = []
    for variation in range(size):
        players, converted = counts.get(variation, (0, 0))
        rate = converted / players if players else None
        variations.append({"variation": variation, "players": players, "converted": converted, "rate": rate})
    return {"variations": variations, "srm_p": srm_p_value([row["players"] for row in variations], weights)}

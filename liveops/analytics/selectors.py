"""Experiment results: the players exposed to each variation of an experiment, how many of them
sent a goal event after their first exposure, and the sample-ratio-mismatch p-value of the split
against the experiment's weights. One query counts everything (a group by variation with two
``EXISTS`` per exposure), whatever the number of players.

A goal event is in the raw events, in the daily roll-up, or in both (a rolled-up day kept raw
until its retention ends); the roll-up keeps each day's last ``received_at``, so "a goal at or
after the exposure" reads the same from either: the latest goal event came after the exposure."""

from datetime import UTC, timedelta
from typing import NamedTuple

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce, TruncDate, TruncDay

from liveops import selectors as liveops_selectors
from liveops.analytics import stats
from liveops.analytics.counts import raw_from
from liveops.analytics.models import AnalyticsDay, AnalyticsEvent
from liveops.models import Exposure


class Arms(NamedTuple):
    """The variations' values and weights of the flag rule whose experiment a key is."""

    values: list
    weights: list[float]


def experiment_arms(*, key: str) -> Arms | None:
    """The variations and weights of the flag rule whose experiment ``key`` this is; None when no
    flag has it."""
    for _, _, rules in liveops_selectors.flag_rows():
        for rule in rules if isinstance(rules, list) else ():
            if isinstance(rule, dict) and rule.get("key") == key and "variations" in rule:
                values = list(rule["variations"])
                count = len(values)
                return Arms(values, [float(weight) for weight in rule.get("weights") or [1 / count] * count])
    return None


def experiment_weights(*, key: str) -> list[float] | None:
    """The weights of the flag rule whose experiment ``key`` this is; None when no flag has it."""
    arms = experiment_arms(key=key)
    return None if arms is None else arms.weights


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


class Counts(NamedTuple):
    players: int
    converted: int
    value_sum: float


def _goal_value_sum(goal: str) -> Expression:
    """The sum of the values of the goal events the player ``OuterRef("user_id")`` sent after their
    exposure ``OuterRef("first_at")``, each counted once, raw or rolled up: the roll-up's days
    after the exposure's day (their events received before the boundary), and the raw events after
    the exposure that are in none of those rows (since the boundary, or on the exposure's day,
    whose row also holds what came before the exposure)."""
    exposed_at = ExpressionWrapper(OuterRef("first_at"), output_field=DateTimeField())
    exposure_day = TruncDate(exposed_at, tzinfo=UTC)
    day_after = ExpressionWrapper(
        TruncDay(exposed_at, tzinfo=UTC) + Value(timedelta(days=1)), output_field=DateTimeField()
    )
    rolled = (
        AnalyticsDay.objects.filter(user_id=OuterRef("user_id"), name=goal, day__gt=exposure_day)
        .values("user_id")
        .annotate(total=Sum("value_sum"))
        .values("total")
    )
    raw = (
        AnalyticsEvent.objects.filter(user_id=OuterRef("user_id"), name=goal, received_at__gte=OuterRef("first_at"))
        .filter(Q(received_at__gte=raw_from()) | Q(received_at__lt=day_after))
        .values("user_id")
        .annotate(total=Sum("value"))
        .values("total")
    )
    zero = Value(0.0)
    return Coalesce(Subquery(rolled, output_field=FloatField()), zero) + Coalesce(
        Subquery(raw, output_field=FloatField()), zero
    )


def exposure_counts(*, key: str, goal: str) -> dict[int, Counts]:
    """``{variation: (players, converted, value_sum)}``: a player converted when they sent ``goal``
    (received by the server) at or after their first exposure; ``value_sum`` adds the values of
    those goal events (``_goal_value_sum``)."""
    raw = AnalyticsEvent.objects.filter(user_id=OuterRef("user_id"), name=goal, received_at__gte=OuterRef("first_at"))
    rolled = AnalyticsDay.objects.filter(user_id=OuterRef("user_id"), name=goal, last_at__gte=OuterRef("first_at"))
    rows = (
        Exposure.objects.filter(key=key)
        .values("variation")
        .annotate(
            players=Count("pk"),
            converted=Count("pk", filter=Q(Exists(raw)) | Q(Exists(rolled))),
            value_sum=Sum(_goal_value_sum(goal), output_field=FloatField()),
        )
        .order_by("variation")
    )
    return {row["variation"]: Counts(row["players"], row["converted"], row["value_sum"] or 0.0) for row in rows}


def _interval(bounds: tuple[float, float] | None) -> list[float] | None:
    return None if bounds is None else [bounds[0], bounds[1]]


def _variation(variation: int, value, counts: Counts, control: Counts) -> dict:
    players, converted, value_sum = counts
    compared = variation > 0
    return {
        "variation": variation,
        "value": value,
        "players": players,
        "converted": converted,
        "rate": converted / players if players else None,
        "rate_interval": _interval(stats.wilson_interval(converted, players)),
        "difference": (
            converted / players - control.converted / control.players
            if compared and players and control.players
            else None
        ),
        "difference_interval": _interval(
            stats.difference_interval(converted, players, control.converted, control.players) if compared else None
        ),
        "p_value": stats.two_proportion_p_value(converted, players, control.converted, control.players)
        if compared
        else None,
        "value_sum": value_sum,
        "value_per_player": value_sum / players if players else None,
    }


def experiment_results(*, key: str, goal: str) -> dict | None:
    """``{variations: [{variation, value, players, converted, rate, rate_interval, difference,
    difference_interval, p_value, value_sum, value_per_player}], srm_p}``; None for an experiment
    that no flag has and nobody was exposed to. Without its flag, the weights are equal and the
    values unknown (null). The first variation is the control the others are compared with
    (docs/liveops.md, "Experiment results")."""
    counts = exposure_counts(key=key, goal=goal)
    arms = experiment_arms(key=key)
    if arms is None:
        if not counts:
            return None
        size = max(counts) + 1
        arms = Arms([None] * size, [1 / size] * size)
    size = max(len(arms.weights), max(counts, default=-1) + 1)
    weights = arms.weights + [0.0] * (size - len(arms.weights))  # a variation exposed but gone from the rule
    values = arms.values + [None] * (size - len(arms.values))
    empty = Counts(0, 0, 0.0)
    control = counts.get(0, empty)
    variations = [_variation(n, values[n], counts.get(n, empty), control) for n in range(size)]
    return {"variations": variations, "srm_p": stats.srm_p_value([row["players"] for row in variations], weights)}

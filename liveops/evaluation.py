"""What a player sees: each flag's value for their attributes, and the experiments they are in.

GrowthBook's SDK does the rules (local evaluation of the compiled features, no network): for each
flag its rules in order (an audience's forced value, or an experiment's or a rollout's bucket, the
same player always in the same one), then its default. An experiment the player falls into is
recorded as an ``Exposure`` the first time (one insert that ignores what is there already). A
running live event the player matches comes first: its overrides replace the flags' values
(``liveops.schedule``).
"""

import hashlib
import json

from django.utils import timezone
from growthbook import GrowthBook

from liveops import cache, selectors
from liveops.inbox.selectors import unread_count
from liveops.models import Exposure
from liveops.schedule import running


def _answer(flags: dict, experiments: dict, live_events: list, messages_unread: int = 0) -> dict:
    return {"flags": flags, "experiments": experiments, "live_events": live_events, "messages_unread": messages_unread}


def evaluate(*, attributes: dict, features: dict) -> tuple[dict, dict]:
    """``({flag: value}, {experiment key: variation})`` for a player with ``attributes``."""
    growthbook = GrowthBook(attributes=attributes, features=features)
    values, experiments = {}, {}
    for name in features:
        result = growthbook.eval_feature(name)
        values[name] = result.value
        ran = result.experimentResult
        if result.source == "experiment" and ran is not None and ran.inExperiment:
            experiments[result.experiment.key] = ran.variationId
    return values, experiments


def record_exposures(*, user_id: int, experiments: dict) -> None:
    if experiments:
        Exposure.objects.bulk_create(
            [Exposure(user_id=user_id, key=key, variation=variation) for key, variation in experiments.items()],
            ignore_conflicts=True,
        )


def liveops_for(*, user) -> dict:
    """The answer of ``GET /api/liveops/`` for ``user`` (anonymous: every flag's default)."""
    compiled = cache.flags()
    if user is None or not user.is_authenticated:
        events, overrides = running.live_events_for(user_id=None, attributes=None, at=timezone.now())
        return _answer(_overridden(dict(compiled.defaults), overrides), {}, events)
    attributes = selectors.player_attributes(user=user)
    values, experiments = evaluate(attributes=attributes, features=compiled.features)
    record_exposures(user_id=user.pk, experiments=experiments)
    events, overrides = running.live_events_for(user_id=user.pk, attributes=attributes, at=timezone.now())
    return _answer(_overridden(values, overrides), experiments, events, unread_count(user_id=user.pk))


def _overridden(values: dict, overrides: dict) -> dict:
    """A running live event's override comes before the flag's rules (of flags that exist)."""
    return {name: overrides.get(name, value) for name, value in values.items()}


def etag_of(answer: dict) -> str:
    text = json.dumps(answer, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.blake2b(text.encode(), digest_size=16).hexdigest() + '"'


def flags_for_no_player() -> dict:
    """Every flag's value for empty attributes (the ``gameplatform.modes.flags`` provider)."""
    return dict(cache.flags().no_player)

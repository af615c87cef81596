"""What a player sees: each flag's value for their attributes, and the experiments they are in.

GrowthBook's SDK does the rules (local evaluation of the compiled features, no network): for each
flag its rules in order (an audience's forced value, or an experiment's or a rollout's bucket, the
same player always in the same one), then its default. An experiment the player falls into is
recorded as an ``Exposure`` the first time (one insert that ignores what is there already).
"""

import hashlib
import json

from growthbook import GrowthBook

from liveops import cache, selectors
from liveops.inbox.selectors import unread_count
from liveops.models import Exposure


def _answer(flags: dict, experiments: dict, messages_unread: int = 0) -> dict:
    # Live events come with their own release: none yet.
    return {"flags": flags, "experiments": experiments, "live_events": [], "messages_unread": messages_unread}


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
        return _answer(dict(compiled.defaults), {})
    values, experiments = evaluate(attributes=selectors.player_attributes(user=user), features=compiled.features)
    record_exposures(user_id=user.pk, experiments=experiments)
    return _answer(values, experiments, unread_count(user_id=user.pk))


def etag_of(answer: dict) -> str:
    text = json.dumps(answer, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.blake2b(text.encode(), digest_size=16).hexdigest() + '"'


def flags_for_no_player() -> dict:
    """Every flag's value for empty attributes (the ``gameplatform.modes.flags`` provider)."""
    return dict(cache.flags().no_player)

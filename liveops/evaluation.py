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
from typing import NamedTuple

import orjson
from django.utils import timezone
from growthbook import FeatureResult, GrowthBook
from rest_framework.renderers import JSONRenderer

from accounts.models import User
from gameplatform.core.recent import Recent
from gameplatform.rooms.flags import GameFlags
from liveops import cache, conditions, selectors
from liveops.models import Exposure
from liveops.schedule import running


def _answer(flags: dict, experiments: dict, live_events: list, messages_unread: int = 0, names=None) -> dict:
    return {
        "flags": flags,
        "experiments": experiments,
        "variation_names": names or {},
        "live_events": live_events,
        "messages_unread": messages_unread,
    }


# The experiments' variations of the last compiled flags: ``{key: variations}``.
_variations: tuple[cache.Flags, dict[str, list]] | None = None


def _variations_of(compiled: cache.Flags) -> dict[str, list]:
    global _variations
    found = _variations
    if found is None or found[0] is not compiled:
        table: dict[str, list] = {}
        for feature in compiled.features.values():
            for rule in feature.rules:
                if rule.key and rule.variations:
                    table.setdefault(rule.key, rule.variations)
        found = _variations = (compiled, table)
    return found[1]


def variation_names(experiments: dict, compiled: cache.Flags) -> dict[str, str]:
    """``{key: name}`` of the ``experiments`` (``{key: variation index}``) whose variations are
    strings: the variation's own value (``"fast"`` rather than ``1``); the others have none."""
    table, names = _variations_of(compiled), {}
    for key, index in experiments.items():
        variations = table.get(key) or ()
        if 0 <= index < len(variations) and isinstance(variations[index], str):
            names[key] = variations[index]
    return names


def _results(*, attributes: dict, features: dict, groups: dict | None = None) -> dict[str, FeatureResult]:
    """GrowthBook's result of each flag for ``attributes`` (no tracking callback: nothing is
    recorded); the features' patterns matched by RE2 (``liveops.conditions``: ``groups``, or
    those the features name)."""
    if groups is None:
        groups = conditions.groups_in([feature.to_dict() for feature in features.values()])
    saved = conditions.saved_groups(attributes, groups)
    growthbook = GrowthBook(attributes=attributes, features=features, savedGroups=saved)
    return {name: growthbook.eval_feature(name) for name in features}


def _in_experiment(result: FeatureResult) -> bool:
    ran = result.experimentResult
    return result.source == "experiment" and ran is not None and ran.inExperiment


def evaluate(*, attributes: dict, features: dict, groups: dict | None = None) -> tuple[dict, dict]:
    """``({flag: value}, {experiment key: variation})`` for a player with ``attributes``."""
    values, experiments = {}, {}
    for name, result in _results(attributes=attributes, features=features, groups=groups).items():
        values[name] = result.value
        if _in_experiment(result):
            experiments[result.experiment.key] = result.experimentResult.variationId
    return values, experiments


def evaluate_compiled(*, attributes: dict, compiled: cache.Flags) -> tuple[dict, dict]:
    """``evaluate`` of the process's compiled flags, remembered by ``attributes`` for the version
    (``cache.Flags.evaluations``); flags without rules are their default without asking GrowthBook.
    What it gives is shared: not to be changed."""
    key = orjson.dumps(attributes, option=orjson.OPT_SORT_KEYS)
    found = compiled.evaluations.get(key)
    if found is None:
        ruled, experiments = evaluate(attributes=attributes, features=compiled.ruled, groups=compiled.groups)
        values = {name: ruled[name] if name in ruled else compiled.defaults[name] for name in compiled.features}
        found = (values, experiments)
        compiled.evaluations.put(key, found)
    return found


# Exposures this process recorded (``(player, experiment, variation)``): each is inserted once per
# process. The insert ignores a row that is there, so what this forgets (its bound, a restart,
# another process) costs one insert, never a second exposure.
_RECORDED: Recent[tuple[int, str, int], None] = Recent(100_000)


def record_exposures(*, user_id: int, experiments: dict) -> None:
    new = _RECORDED.new((user_id, key, variation) for key, variation in experiments.items())
    if not new:
        return
    try:
        Exposure.objects.bulk_create(
            [Exposure(user_id=user_id, key=key, variation=variation) for _, key, variation in new],
            ignore_conflicts=True,
        )
    except BaseException:
        _RECORDED.forget(new)
        raise


def forget_recorded() -> None:
    """Forget which exposures this process recorded (tests that remove them)."""
    _RECORDED.clear()


class Answer(NamedTuple):
    """What ``GET /api/liveops/`` answers a player: the body, its ETag, the body as REST framework's
    JSON renderer writes it (``content``: what the route sends), the experiments the player is in
    (their exposures) and the live events' copy it was made from."""

    body: dict
    etag: str
    content: bytes
    experiments: dict
    live: running.Events


def _made(body: dict, experiments: dict, live: running.Events) -> Answer:
    return Answer(body, etag_of(body), JSONRenderer().render(body), experiments, live)


def answer_for(*, user) -> Answer:
    """The answer of ``GET /api/liveops/`` for ``user`` (anonymous: every flag's default; a
    ``TokenUser`` is admitted as ``selectors.player_read`` says, or refused).

    A player's answer is made of the compiled flags, their attributes, the live events running,
    which of these they joined and their unread count: all but the flags and the live events'
    copy are read at each request (``selectors.player_read``), so a change is seen at once, and
    the answer made of them is remembered with the flags (``cache.Flags.answers``) for the next
    request that reads the same, with the same copy of the live events. What it gives is shared:
    not to be changed."""
    compiled, live, now = cache.flags(), running.current(), timezone.now()
    occurrences = running.running(now, live)
    if user is None or not user.is_authenticated:
        occurrences = running.for_player(occurrences, None, now, live)
        events, overrides = running.live_events_for(occurrences, attributes=None, joined=set())
        body = _answer(_overridden(dict(compiled.defaults), overrides), {}, events)
        return _made(body, {}, live)
    user, attributes, joined, unread = selectors.player_read(
        user=user, occurrences=running.explicit(occurrences), reads=compiled.reads | live.reads
    )
    occurrences = running.for_player(occurrences, attributes, now, live)  # those in the player's own time zone
    running_now = [(o.event.pk, o.starts_at) for o in occurrences]
    key = orjson.dumps([attributes, sorted(joined), unread, running_now], option=orjson.OPT_SORT_KEYS)
    found = compiled.answers.get(key)
    if found is None or found.live is not live:
        values, experiments = evaluate_compiled(attributes=attributes, compiled=compiled)
        events, overrides = running.live_events_for(occurrences, attributes=attributes, joined=joined)
        names = variation_names(experiments, compiled)
        body = _answer(_overridden(values, overrides), experiments, events, unread, names)
        found = _made(body, experiments, live)
        compiled.answers.put(key, found)
    record_exposures(user_id=user.pk, experiments=found.experiments)
    return found


def liveops_for(*, user) -> dict:
    """The body of ``GET /api/liveops/`` for ``user`` (``answer_for``)."""
    return answer_for(user=user).body


def _overridden(values: dict, overrides: dict) -> dict:
    """A running live event's override comes before the flag's rules (of flags that exist)."""
    return {name: overrides.get(name, value) for name, value in values.items()}


def etag_of(answer: dict) -> str:
    text = orjson.dumps(answer, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return '"' + hashlib.blake2b(text, digest_size=16).hexdigest() + '"'


def flags_of_players(user_ids: list[int]) -> dict[int, dict]:
    """Each player's flags as ``GET /api/liveops/`` gives them now (``answer_for``: their audience,
    experiment variation, joined live events; exposures recorded), by id; a player who is no more
    is left out (a new game's players: ``flags_of_game``)."""
    users = User.objects.filter(pk__in=user_ids, is_active=True)
    return {user.pk: answer_for(user=user).body["flags"] for user in users}


def flags_for_no_player() -> dict:
    """Every flag's value for empty attributes."""
    return dict(cache.flags().no_player)


def flags_of_game(game_id: int, player_ids: list[int]) -> GameFlags:
    """A new game's flags (the ``gameplatform.rooms.flags`` provider: ``ctx.flag``).

    The game's own: each flag's rules read with ``{"game_id": id}`` as the only attribute (a rule
    for an audience of everyone applies; an experiment hashed by ``game_id`` gives the game its
    variation; one hashed by a player's attribute does not apply), then a running live event's
    override for everyone (an event with a condition or one to join is a player's). Each player
    who plays a variation of a game's experiment is exposed to it (the results read games through
    their players). Each player's: their own answer of ``GET /api/liveops/`` now (their audience,
    variation and joined events, their exposures recorded), ``flags_of_players``."""
    compiled, live = cache.flags(), running.current()
    ruled, experiments = evaluate(attributes={"game_id": game_id}, features=compiled.ruled, groups=compiled.groups)
    values = {name: ruled[name] if name in ruled else compiled.defaults[name] for name in compiled.features}
    _events, overrides = running.live_events_for(running.running(timezone.now(), live), attributes=None, joined=set())
    for player_id in player_ids:
        record_exposures(user_id=player_id, experiments=experiments)
    return GameFlags(room=_overridden(values, overrides), players=flags_of_players(player_ids))


class Explained(NamedTuple):
    """A flag's value for one player and why: ``source`` is ``live_event`` (a running event's
    override), ``force`` (a rule's value for its audience), ``experiment`` (a rule's variation) or
    ``defaultValue``; ``rule`` the index of the rule that decided, ``rules_value`` what the rules
    give under an override; ``waiting`` a running explicit event the player has not joined that
    would override the flag once they do (``running.Override``)."""

    flag: str
    value: object
    source: str
    rule: int | None = None
    experiment: str = ""
    variation: int | None = None
    live_event: object = None
    rules_value: object = None
    waiting: running.Override | None = None

    @property
    def value_json(self) -> str:
        return json.dumps(self.value)

    @property
    def reason(self) -> str:
        why = self._why()
        if self.waiting is None:
            return why
        event, value = self.waiting.event, self.waiting.value
        return f"{why}; live event #{event.pk} {event.name!r} would override it with {value!r} once the player joins it"

    def _why(self) -> str:
        if self.source == "live_event":
            event = self.live_event
            return f"live event #{event.pk} {event.name!r} overrides it (its rules give {self.rules_value!r})"
        if self.source == "force":
            return f"rule {self.rule}: forced for its audience"
        if self.source == "experiment":
            return f"rule {self.rule}: experiment {self.experiment!r}, variation {self.variation}"
        return "default value (no rule applies)"


def _explained(name: str, result: FeatureResult) -> Explained:
    rule = cache.rule_index(result.ruleId)
    if _in_experiment(result):
        key, variation = result.experiment.key, result.experimentResult.variationId
        return Explained(name, result.value, "experiment", rule, key, variation)
    if result.source == "force":
        return Explained(name, result.value, "force", rule)
    return Explained(name, result.value, "defaultValue")


def explain(*, user, at=None) -> list[Explained]:
    """Each flag's value for ``user`` and why, by flag name, as ``GET /api/liveops/`` would give it
    now (the same compiled flags, rules and live events, and the explicit ones the player joined),
    without recording an exposure: the admin's preview must not put a player in an experiment."""
    at = at or timezone.now()
    read = selectors.player_read(user=user, occurrences=running.explicit(running.running(at)))
    compiled = cache.flags()
    results = _results(attributes=read.attributes, features=compiled.features, groups=compiled.groups)
    overrides = running.overrides_for(attributes=read.attributes, joined=read.joined, at=at)
    explained = []
    for name, result in results.items():
        override = overrides.get(name)
        if override is not None and override.joined:
            explained.append(
                Explained(name, override.value, "live_event", live_event=override.event, rules_value=result.value)
            )
        else:
            explained.append(_explained(name, result)._replace(waiting=override))
    return explained

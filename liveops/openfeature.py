"""Live operations' flags through OpenFeature, for a studio's own server code.

    from openfeature import api
    from openfeature.evaluation_context import EvaluationContext
    from liveops.openfeature import LiveopsProvider

    api.set_provider(LiveopsProvider())
    client = api.get_client()
    price = client.get_integer_value("gem-price", 100, EvaluationContext(targeting_key=str(user.pk)))

A player gets what ``GET /api/liveops/`` gives them, from the same compiled flags (no query per
flag): a running live event's override, then the flag's rules, then its default. The evaluation
context (OpenFeature merges the global, client and invocation ones) names the player by
``targeting_key`` (their user id) and may say what their client would: ``country``, ``platform``,
``app_version``, ``custom`` replace what the client last sent, and attributes of the studio's own
are added. The server's own attributes (``level``, ``spent``...) are always read from the
database: a context that sets one is ``INVALID_CONTEXT``. Without a targeting key the answer is
an anonymous client's (the defaults, and the overrides of live events without a condition).

The reason says where the value came from: ``STATIC`` (a flag without rules), ``DEFAULT`` (no rule
applied), ``TARGETING_MATCH`` (an audience's forced value, variant ``rule-N``, or a live event's
override, variant ``live-event-ID``), ``SPLIT`` (an experiment's or a rollout's bucket, variant the
variation's index, recorded as an exposure as the API does). An unknown flag is
``FLAG_NOT_FOUND`` and a value of another type than asked ``TYPE_MISMATCH``, each with the
caller's default. ``track`` records an analytics event for the player (an experiment's goal).
"""

import logging
import uuid
from collections.abc import Mapping

from django.utils import timezone
from growthbook import GrowthBook
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagType, Reason
from openfeature.provider import AbstractProvider, Metadata
from openfeature.track import TrackingEventDetails

from accounts.models import User
from gameplatform.core.errors import ApplicationError
from liveops import cache, conditions, selectors
from liveops.analytics.services import events_record
from liveops.evaluation import record_exposures
from liveops.schedule import running

CLIENT_ATTRIBUTES = {"country": str, "platform": str, "app_version": str, "custom": dict}
SERVER_ATTRIBUTES = frozenset(
    {"id", "username", "is_guest", "is_premium", "created_days", "level", "games_played", "spent", "events"}
)
DEFAULT_VARIANT = "default"
USER_ID_DIGITS = 18  # a bigint's ids, and no query with a number the column cannot hold

logger = logging.getLogger(__name__)


class InvalidContext(Exception):
    pass


class LiveopsProvider(AbstractProvider):
    """The ``liveops`` app's flags as an OpenFeature provider (server side, in the Django process)."""

    def get_metadata(self) -> Metadata:
        return Metadata(name="gameplatform-liveops")

    def resolve_boolean_details(self, flag_key, default_value, evaluation_context=None):
        return _resolve(flag_key, default_value, evaluation_context, FlagType.BOOLEAN)

    def resolve_string_details(self, flag_key, default_value, evaluation_context=None):
        return _resolve(flag_key, default_value, evaluation_context, FlagType.STRING)

    def resolve_integer_details(self, flag_key, default_value, evaluation_context=None):
        return _resolve(flag_key, default_value, evaluation_context, FlagType.INTEGER)

    def resolve_float_details(self, flag_key, default_value, evaluation_context=None):
        return _resolve(flag_key, default_value, evaluation_context, FlagType.FLOAT)

    def resolve_object_details(self, flag_key, default_value, evaluation_context=None):
        return _resolve(flag_key, default_value, evaluation_context, FlagType.OBJECT)

    def track(
        self,
        tracking_event_name: str,
        evaluation_context: EvaluationContext | None = None,
        tracking_event_details: TrackingEventDetails | None = None,
    ) -> None:
        """An analytics event of the context's player, named ``tracking_event_name`` (nothing
        without a player, or with a targeting key that is none, logged): what an experiment's
        results count as its goal."""
        try:
            user = _player(evaluation_context)
        except InvalidContext as problem:
            logger.warning("track(%r) recorded nothing: %s", tracking_event_name, problem)
            return
        if user is None:
            return
        details = tracking_event_details or TrackingEventDetails()
        event = {
            "id": f"openfeature-{uuid.uuid4().hex}",
            "name": tracking_event_name[:100],
            "timestamp": timezone.now(),
            "value": details.value,
            "metadata": dict(details.attributes),
        }
        try:
            events_record(user=user, events=[event])
        except ApplicationError as refused:  # metadata over the bound: as the API, nothing recorded
            logger.warning("track(%r) recorded nothing: %s", tracking_event_name, refused.message)


def _resolve(flag_key: str, default, context: EvaluationContext | None, flag_type: FlagType) -> FlagResolutionDetails:
    compiled = cache.flags()
    feature = compiled.features.get(flag_key)
    if feature is None:
        return _error(default, ErrorCode.FLAG_NOT_FOUND, f"No flag named {flag_key!r}.")
    try:
        user = _player(context)
        attributes = _attributes(user, context) if user is not None else None
    except InvalidContext as problem:
        return _error(default, ErrorCode.INVALID_CONTEXT, str(problem))
    details = _overridden(flag_key, user, attributes) or _evaluated(flag_key, feature, user, attributes, compiled)
    value = _typed(details.value, flag_type)
    if value is None:
        message = f"The flag {flag_key!r} is {type(details.value).__name__}, not {flag_type.value.lower()}."
        return _error(default, ErrorCode.TYPE_MISMATCH, message)
    details.value = value
    if details.reason == Reason.SPLIT:  # given to the player: exposed, as the API records it
        record_exposures(user_id=user.pk, experiments={details.flag_metadata["experiment"]: int(details.variant)})
    return details


def _error(default, code: ErrorCode, message: str) -> FlagResolutionDetails:
    return FlagResolutionDetails(value=default, reason=Reason.ERROR, error_code=code, error_message=message)


def _player(context: EvaluationContext | None) -> User | None:
    key = context.targeting_key if context is not None else None
    if not key:
        return None
    if not (key.isascii() and key.isdigit() and len(key) <= USER_ID_DIGITS):
        raise InvalidContext(f"The targeting key is a user id, not {key!r}.")
    user = User.objects.filter(pk=int(key), is_active=True).first()
    if user is None:
        raise InvalidContext(f"No player with the id {key}.")
    return user


def _attributes(user: User, context: EvaluationContext) -> dict:
    """What the player's rules read: the API's attributes, with the context's (see the module)."""
    claimed = sorted(SERVER_ATTRIBUTES & context.attributes.keys())
    if claimed:
        raise InvalidContext(f"{', '.join(claimed)}: the server's own attributes; a context cannot set them.")
    for name, kind in CLIENT_ATTRIBUTES.items():
        if name in context.attributes and not isinstance(context.attributes[name], kind):
            raise InvalidContext(f"{name} must be a {'string' if kind is str else 'mapping'}.")
    extra = {name: dict(value) if isinstance(value, Mapping) else value for name, value in context.attributes.items()}
    return {**selectors.player_attributes(user=user), **extra}


def _overridden(flag_key: str, user: User | None, attributes: dict | None) -> FlagResolutionDetails | None:
    """A running live event's override of the flag, the one started last winning, an explicit
    event's only once the player joined it (as the API)."""
    now = timezone.now()
    mine = [
        occurrence
        for occurrence in running.for_player(running.running(now), attributes, now)
        if flag_key in occurrence.event.overrides and running.matches(occurrence.event, attributes)
    ]
    explicit = running.explicit(mine)
    joined = set()
    if explicit and user is not None:
        joined = selectors.player_read(user=user, occurrences=explicit, reads=frozenset()).joined
    applying = [occurrence for occurrence in mine if running.applies(occurrence, joined)]
    if not applying:
        return None
    found = applying[-1].event
    return FlagResolutionDetails(
        value=found.overrides[flag_key],
        reason=Reason.TARGETING_MATCH,
        variant=f"live-event-{found.pk}",
        flag_metadata={"live_event": found.pk},
    )


def _evaluated(flag_key: str, feature, user: User | None, attributes: dict | None, compiled) -> FlagResolutionDetails:
    static = not feature.rules
    if user is None:
        reason = Reason.STATIC if static else Reason.DEFAULT
        return FlagResolutionDetails(value=compiled.defaults[flag_key], reason=reason, variant=DEFAULT_VARIANT)
    saved = conditions.saved_groups(attributes, compiled.groups)  # patterns by RE2 (``liveops.conditions``)
    result = GrowthBook(attributes=attributes, features={flag_key: feature}, savedGroups=saved).eval_feature(flag_key)
    ran = result.experimentResult
    if result.source == "experiment" and ran is not None and ran.inExperiment:
        return FlagResolutionDetails(
            value=result.value,
            reason=Reason.SPLIT,
            variant=str(ran.variationId),
            flag_metadata={"rule": result.ruleId, "experiment": result.experiment.key},
        )
    if result.source == "force":
        return FlagResolutionDetails(value=result.value, reason=Reason.TARGETING_MATCH, variant=result.ruleId)
    reason = Reason.STATIC if static else Reason.DEFAULT
    return FlagResolutionDetails(value=result.value, reason=reason, variant=DEFAULT_VARIANT)


def _typed(value, flag_type: FlagType):
    """``value`` as the type asked (JSON's 2 is a float too; 2.0 an integer), or None."""
    if flag_type is FlagType.BOOLEAN:
        return value if isinstance(value, bool) else None
    if flag_type is FlagType.STRING:
        return value if isinstance(value, str) else None
    if flag_type is FlagType.OBJECT:
        return value if isinstance(value, dict | list) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if flag_type is FlagType.FLOAT:
        return float(value)
    return int(value) if float(value).is_integer() else None

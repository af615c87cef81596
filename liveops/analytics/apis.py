"""Analytics over REST: a client's events, and an experiment's results for staff (role ``liveops``)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.core.errors import NotFound
from gameplatform.data.ratelimit import Budget, SlidingWindowThrottle
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from liveops.analytics import selectors, services
from liveops.analytics.models import CLIENT_ID_MAX
from staff.permissions import role_required
from staff.roles import LIVEOPS

TAGS = ["live operations"]
STAFF_TAGS = ["live operations (staff)"]
BATCH_MAX = 100


class EventsThrottle(SlidingWindowThrottle):
    """A client sends its events in batches: 60 a minute per player (6,000 events) is plenty."""

    budget = Budget("liveops_events", limit=60, window=60.0, what="event batches")


class EventInput(serializers.Serializer):
    id = serializers.CharField(max_length=CLIENT_ID_MAX, help_text="The client's id: a resend counts once.")
    name = serializers.CharField(max_length=100)
    timestamp = serializers.DateTimeField(help_text="When it happened, by the client's clock.")
    value = serializers.FloatField(required=False, allow_null=True, default=None)
    metadata = serializers.JSONField(
        required=False, default=dict, help_text="A JSON object, at most 2 KiB as JSON (400 `metadata_too_large`)."
    )

    def validate_id(self, client_id):
        if client_id.startswith(services.SERVER_ID_PREFIX):
            raise serializers.ValidationError(f"Ids starting {services.SERVER_ID_PREFIX!r} are the server's.")
        return client_id

    def validate_name(self, name):
        if name in services.SERVER_EVENTS:
            raise serializers.ValidationError(f"{name!r} is recorded by the server itself.")
        return name

    def validate_metadata(self, metadata):
        if not isinstance(metadata, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return metadata


class EventsInput(serializers.Serializer):
    events = serializers.ListField(child=EventInput(), max_length=BATCH_MAX, allow_empty=True)


class EventsOutput(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Events stored now.")
    duplicates = serializers.IntegerField(help_text="Events whose id I sent before (or twice in this batch).")


class EventsApi(APIView):
    """Record my client's analytics events (at most 100 a request); an id sent again counts once."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [EventsThrottle]

    @extend_schema(request=EventsInput, responses={202: EventsOutput}, tags=TAGS)
    @error_codes({400: ("metadata_too_large",), 429: ("rate_limited",)})
    def post(self, request):
        data = EventsInput(data=request.data)
        data.is_valid(raise_exception=True)
        accepted, duplicates = services.events_record(user=request.user, events=data.validated_data["events"])
        return Response({"accepted": accepted, "duplicates": duplicates}, status=status.HTTP_202_ACCEPTED)


class ResultsQuery(serializers.Serializer):
    goal = serializers.CharField(max_length=100, help_text="The name of the goal event.")


class VariationOutput(serializers.Serializer):
    variation = serializers.IntegerField(help_text="Its index in the rule's `variations`; 0 is the control.")
    value = serializers.JSONField(allow_null=True, help_text="The flag's value for it (null: its rule is gone).")
    players = serializers.IntegerField(help_text="Players exposed to it.")
    converted = serializers.IntegerField(help_text="Of them, those who sent the goal event after their exposure.")
    rate = serializers.FloatField(allow_null=True, help_text="converted / players (null with no players).")
    rate_interval = serializers.ListField(
        child=serializers.FloatField(), allow_null=True, help_text="`[low, high]`: the rate's 95 % Wilson interval."
    )
    difference = serializers.FloatField(
        allow_null=True, help_text="rate − the control's rate (null for the control, or without players)."
    )
    difference_interval = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text="`[low, high]`: the difference's 95 % interval (Newcombe's, from the two Wilson intervals).",
    )
    p_value = serializers.FloatField(
        allow_null=True, help_text="The two-sided p-value of the two-proportion z-test against the control."
    )
    value_sum = serializers.FloatField(help_text="The sum of the `value`s of its players' goal events after exposure.")
    value_per_player = serializers.FloatField(allow_null=True, help_text="value_sum / players (revenue per player).")


class ResultsOutput(serializers.Serializer):
    variations = VariationOutput(many=True)
    srm_p = serializers.FloatField(
        allow_null=True, help_text="The sample-ratio-mismatch p-value (chi-square); small means a broken split."
    )


class ExperimentResultsApi(APIView):
    """An experiment's results for a goal event (staff: liveops)."""

    permission_classes = [role_required(LIVEOPS)]

    @extend_schema(
        parameters=[OpenApiParameter("goal", str, required=True)],
        responses={200: ResultsOutput},
        tags=STAFF_TAGS,
    )
    @error_codes({404: ("experiment_not_found",)})
    def get(self, request, key: str):
        query = ResultsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        results = selectors.experiment_results(key=key, goal=query.validated_data["goal"])
        if results is None:
            raise NotFound(
                f"No experiment {key!r}: no flag has it and nobody was exposed.", code="experiment_not_found"
            )
        return Response(results)

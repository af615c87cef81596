"""Live events over REST: staff manage them (role ``liveops``); a player joins an explicit one."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.core.errors import NotFound
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from liveops import selectors as liveops_selectors
from liveops.apis import WARNINGS_HELP, ChangeOutput, WarningsOfAPage
from liveops.schedule import conflicts, selectors, services
from liveops.schedule.models import LiveEvent
from staff.permissions import role_required
from staff.roles import LIVEOPS

TAGS = ["live operations"]
STAFF_TAGS = ["live operations (staff)"]
LiveopsStaff = role_required(LIVEOPS)


class LiveEventSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    value = serializers.JSONField(required=False, allow_null=True, default=None)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(help_text="After `starts_at`; a recurring event's occurrences start before it.")
    recurrence = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Cron, five fields (a subset), read in `timezone`.",
    )
    duration_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=int(services.MAX_DURATION.total_seconds()),
        help_text="Each occurrence's, when recurring.",
    )
    timezone = serializers.CharField(
        max_length=64,
        required=False,
        default="UTC",
        help_text="Where `recurrence` is read: an IANA name (`Europe/Paris`), or `player`: each player's own "
        "(their `custom.timezone` attribute; UTC without one). Auto events only.",
    )
    condition = serializers.JSONField(required=False, default=dict, help_text="A GrowthBook condition (an object).")
    join = serializers.ChoiceField(choices=[LiveEvent.AUTO, LiveEvent.EXPLICIT], required=False, default="auto")
    overrides = serializers.JSONField(required=False, default=dict, help_text="`{flag name: value}` while it runs.")


class LiveEventOutput(LiveEventSerializer):
    id = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    warnings = serializers.SerializerMethodField(help_text=WARNINGS_HELP)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, event: LiveEvent) -> list[str]:
        warnings = self.context.get("warnings")
        if warnings is None:  # one event: its own read
            warnings = conflicts.event_warnings([event])
        return warnings.get(event.pk, [])


def _event_or_404(event_id: int) -> LiveEvent:
    event = selectors.live_event_get(event_id=event_id)
    if event is None:
        raise NotFound(f"No live event {event_id}.", code="live_event_not_found")
    return event


@extend_schema(tags=STAFF_TAGS)
class LiveEventListApi(WarningsOfAPage, ListAPIView):
    """The live events, latest start first (staff: liveops)."""

    permission_classes = [LiveopsStaff]
    serializer_class = LiveEventOutput
    warnings_of = conflicts.event_warnings

    def get_queryset(self):
        return selectors.live_event_list()

    @extend_schema(request=LiveEventSerializer, responses={201: LiveEventOutput}, tags=STAFF_TAGS)
    def post(self, request):
        data = LiveEventSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.live_event_create(staff=request.user, **data.validated_data)
        return Response(LiveEventOutput(event).data, status=status.HTTP_201_CREATED)


class LiveEventApi(APIView):
    """One live event (staff: liveops): read, replace whole, delete."""

    permission_classes = [LiveopsStaff]

    @extend_schema(responses={200: LiveEventOutput}, tags=STAFF_TAGS)
    @error_codes({404: ("live_event_not_found",)})
    def get(self, request, event_id: int):
        return Response(LiveEventOutput(_event_or_404(event_id)).data)

    @extend_schema(request=LiveEventSerializer, responses={200: LiveEventOutput}, tags=STAFF_TAGS)
    @error_codes({404: ("live_event_not_found",)})
    def put(self, request, event_id: int):
        data = LiveEventSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.live_event_update(staff=request.user, event_id=event_id, **data.validated_data)
        return Response(LiveEventOutput(event).data)

    @extend_schema(responses={204: None}, tags=STAFF_TAGS)
    @error_codes({404: ("live_event_not_found",)})
    def delete(self, request, event_id: int):
        services.live_event_delete(staff=request.user, event_id=event_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LiveEventHistoryApi(APIView):
    """A live event's changes, newest first (staff: liveops): who, when, before and after."""

    permission_classes = [LiveopsStaff]

    @extend_schema(responses={200: ChangeOutput(many=True)}, tags=STAFF_TAGS)
    @error_codes({404: ("live_event_not_found",)})
    def get(self, request, event_id: int):
        _event_or_404(event_id)
        changes = liveops_selectors.change_history(target_type=services.EVENT_TARGET, target_id=event_id)
        return Response(ChangeOutput(changes, many=True).data)


class LiveEventRollbackInput(serializers.Serializer):
    audit_id = serializers.IntegerField(
        min_value=1, help_text="The audit entry of the change whose version to put back (the event's history)."
    )


class LiveEventRollbackApi(APIView):
    """Roll a live event back to every field a change of its history left (staff: liveops): a new
    change, audited as ``live_event.rollback``, pushed to players as any change is."""

    permission_classes = [LiveopsStaff]

    @extend_schema(request=LiveEventRollbackInput, responses={200: LiveEventOutput}, tags=STAFF_TAGS)
    @error_codes({404: ("live_event_not_found", "version_not_found")})
    def post(self, request, event_id: int):
        data = LiveEventRollbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        audit_id = data.validated_data["audit_id"]
        event = services.live_event_rollback(staff=request.user, event_id=event_id, audit_id=audit_id)
        return Response(LiveEventOutput(event).data)


class JoinOutput(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField(help_text="The occurrence joined.")
    ends_at = serializers.DateTimeField()
    joined = serializers.BooleanField()


class LiveEventJoinApi(APIView):
    """Join a live event I see while it runs (joining twice is joining once)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: JoinOutput}, tags=TAGS)
    @error_codes({404: ("live_event_not_found",), 409: ("not_active",)})
    def post(self, request, event_id: int):
        occurrence = services.live_event_join(user=request.user, event_id=event_id)
        answer = {"id": event_id, "starts_at": occurrence.starts_at, "ends_at": occurrence.ends_at, "joined": True}
        return Response(JoinOutput(answer).data)

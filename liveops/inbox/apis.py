"""The inbox over REST: my messages, marking one read, claiming its gifts, and staff's new message
(role ``liveops``)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from liveops.inbox import selectors, services
from liveops.inbox.models import InboxEntry, Message
from staff.permissions import role_required
from staff.roles import LIVEOPS

TAGS = ["live operations"]
STAFF_TAGS = ["live operations (staff)"]


class InboxEntryOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The message's id.")
    title = serializers.CharField()
    body = serializers.CharField()
    data = serializers.JSONField()
    created_at = serializers.DateTimeField(help_text="When it reached my inbox.")
    read_at = serializers.DateTimeField(allow_null=True)
    grants = serializers.JSONField(
        allow_null=True, help_text="Gifts to claim: `{gold, gems, items: [{item_id, quantity}]}`; null for none."
    )
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Its gifts cannot be claimed from then on.")
    claimed_at = serializers.DateTimeField(allow_null=True, help_text="When I claimed its gifts.")

    def to_representation(self, entry: InboxEntry) -> dict:
        message = entry.message
        return super().to_representation(
            {
                "id": message.pk,
                "title": message.title,
                "body": message.body,
                "data": message.data,
                "created_at": entry.created_at,
                "read_at": entry.read_at,
                "grants": message.grants,
                "expires_at": message.expires_at,
                "claimed_at": entry.claimed_at,
            }
        )


@extend_schema(tags=TAGS)
class InboxApi(ListAPIView):
    """My inbox, newest first (a page)."""

    permission_classes = [IsAuthenticated]
    serializer_class = InboxEntryOutput

    def get_queryset(self):
        return selectors.inbox_of(user_id=self.request.user.pk)


class InboxReadApi(APIView):
    """Mark a message of my inbox read (reading it again keeps the first time)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: InboxEntryOutput}, tags=TAGS)
    @error_codes({404: ("message_not_found",)})
    def post(self, request, message_id: int):
        entry = services.message_read(user=request.user, message_id=message_id)
        return Response(InboxEntryOutput(entry).data)


class ClaimOutput(serializers.Serializer):
    grants = serializers.JSONField(help_text="What was granted: `{gold, gems, items: [{item_id, quantity}]}`.")
    gold = serializers.IntegerField(help_text="My gold after the claim.")
    gems = serializers.IntegerField(help_text="My gems after the claim.")


class InboxClaimApi(APIView):
    """Claim the gifts of a message of my inbox, once, before it expires (granted through the ledger)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: ClaimOutput}, tags=TAGS)
    @error_codes({404: ("message_not_found",), 409: ("already_claimed", "nothing_to_claim"), 410: ("expired",)})
    def post(self, request, message_id: int):
        claimed = services.message_claim(user=request.user, message_id=message_id)
        return Response(ClaimOutput(claimed._asdict()).data)


class MessageInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    data = serializers.JSONField(required=False, default=dict, help_text="A JSON object the client reads.")
    condition = serializers.JSONField(
        required=False, default=dict, help_text="A GrowthBook condition over the player's attributes (`{}`: everyone)."
    )
    send_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Now when absent.")
    grants = serializers.JSONField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Gifts each player may claim once: `{gold, gems, items: [{item_id, quantity}]}`.",
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="The gifts cannot be claimed from then on."
    )


class MessageOutput(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "title", "body", "data", "condition", "send_at", "sent_at", "grants", "expires_at"]
        read_only_fields = fields


class MessageCreateApi(APIView):
    """A message for every player its condition matches at its send time (staff: liveops)."""

    permission_classes = [role_required(LIVEOPS)]

    @extend_schema(request=MessageInput, responses={201: MessageOutput}, tags=STAFF_TAGS)
    def post(self, request):
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_create(staff=request.user, **data.validated_data)
        return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED)

from collections.abc import Callable

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from matchmaking.invites import selectors, services
from matchmaking.invites.events import InviteSerializer
from matchmaking.models import Invite


class InviteListCreateApi(ListAPIView):
    """Pending invites (inbox or sent: the rehydration after a reload) and sending one."""

    class InputSerializer(serializers.Serializer):
        to_user_id = serializers.IntegerField(min_value=1)
        # Party invites are made by POST /api/party/invite/ (the world app), not here.
        kind = serializers.ChoiceField(choices=[Invite.Kind.GAME, Invite.Kind.LOBBY])
        mode = serializers.CharField(max_length=32, required=False, help_text='Game invites; default "tictactoe".')
        lobby_id = serializers.IntegerField(min_value=1, required=False, help_text="Lobby invites.")

        def validate(self, attrs):
            if attrs["kind"] == Invite.Kind.LOBBY and "lobby_id" not in attrs:
                raise serializers.ValidationError({"lobby_id": ["Required for a lobby invite."]})
            return attrs

    class BoxSerializer(serializers.Serializer):
        box = serializers.ChoiceField(choices=selectors.BOXES, default="inbox")

    serializer_class = InviteSerializer

    def get_queryset(self):
        query = self.BoxSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.invites_pending(user_id=self.request.user.pk, box=query.validated_data["box"])

    @extend_schema(
        parameters=[OpenApiParameter("box", str, enum=list(selectors.BOXES), description="inbox (default) or sent")],
        tags=["invites"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=InputSerializer, responses={201: InviteSerializer}, tags=["invites"])
    @error_codes(
        {
            400: ("invalid_mode", "self_invite"),
            403: ("blocked", "not_a_member", "not_friends"),
            404: ("lobby_not_found", "not_found"),
            409: ("duplicate_invite",),
            429: ("rate_limited",),
        }
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invite = services.invite_create(
            from_user=request.user,
            to_user_id=data.validated_data["to_user_id"],
            kind=data.validated_data["kind"],
            mode=data.validated_data.get("mode"),
            lobby_id=data.validated_data.get("lobby_id"),
        )
        return Response(InviteSerializer(invite).data, status=status.HTTP_201_CREATED)


class InviteAcceptApi(APIView):
    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()
        game_id = serializers.IntegerField(allow_null=True)
        lobby_id = serializers.IntegerField(allow_null=True)
        party_id = serializers.IntegerField(allow_null=True)
        invite = InviteSerializer()

    @extend_schema(request=None, responses={200: OutputSerializer}, tags=["invites"])
    @error_codes(
        {403: ("not_allowed",), 404: ("invite_not_found",), 409: ("invite_not_pending",), 410: ("invite_expired",)}
    )
    def post(self, request, invite_id: int):
        invite = services.invite_accept(invite_id=invite_id, user=request.user)
        body = {
            "status": invite.status,
            "game_id": invite.game_id,
            "lobby_id": invite.lobby_id,
            "party_id": invite.party_id,
            "invite": invite,
        }
        return Response(self.OutputSerializer(body).data)


# A pending invite is closed by its receiver (``close``: the service that declines it) or its
# sender (cancels it); the invite as it then stands.
class InviteCloseApi(APIView):
    close: Callable[..., Invite]

    @extend_schema(request=None, responses={200: InviteSerializer}, tags=["invites"])
    @error_codes(
        {403: ("not_allowed",), 404: ("invite_not_found",), 409: ("invite_not_pending",), 410: ("invite_expired",)}
    )
    def post(self, request, invite_id: int):
        return Response(InviteSerializer(self.close(invite_id=invite_id, user=request.user)).data)


class InviteDeclineApi(InviteCloseApi):
    close = staticmethod(services.invite_decline)


class InviteCancelApi(InviteCloseApi):
    close = staticmethod(services.invite_cancel)

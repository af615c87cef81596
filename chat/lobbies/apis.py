"""REST routes of the lobby area: one view per operation, thin over the services."""

from collections.abc import Callable

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.lobbies import selectors, services
from chat.models import MAX_PARTICIPANTS, MESSAGE_MAX_LENGTH, MIN_PARTICIPANTS, Lobby, Membership
from gameplatform.chat import rooms as chatrooms
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes

TAGS = ["lobbies"]


class LobbyStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(choices=Lobby.Status.choices, **kwargs)


class LobbyRoleField(serializers.ChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(choices=Membership.Role.choices, **kwargs)


class LobbySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    owner = chatrooms.RoomUserSerializer()
    is_public = serializers.BooleanField()
    max_participants = serializers.IntegerField()
    status = LobbyStatusField()
    participant_count = serializers.IntegerField()
    game_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class LobbyMemberSerializer(chatrooms.RoomMemberSerializer):
    role = LobbyRoleField()


class LobbyDetailSerializer(LobbySerializer):
    # The enum is documented once, on Lobby: a second component with an enum named
    # "status" would make drf-spectacular's enum naming collide with other apps'.
    status = serializers.CharField(help_text="`open`, `in_game` or `closed` (as in Lobby).")
    members = LobbyMemberSerializer(many=True)


class LobbyEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    # Plain text, not an enum: see LobbyDetailSerializer.status.
    kind = serializers.CharField(help_text="create, join, leave, kick, ban, unban, moderator_added, ...")
    actor = chatrooms.RoomUserSerializer(allow_null=True)
    target = chatrooms.RoomUserSerializer(allow_null=True)
    reason = serializers.CharField()
    data = serializers.DictField()
    created_at = serializers.DateTimeField()


class LobbyBanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = chatrooms.RoomUserSerializer()
    banned_by = chatrooms.RoomUserSerializer(allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class ModerationInput(chatrooms.TargetInput):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def _detail(lobby_id: int, user) -> dict:
    return LobbyDetailSerializer(selectors.lobby_detail_for(lobby_id=lobby_id, user=user)).data


class LobbiesApi(ListAPIView):
    serializer_class = LobbySerializer

    class FilterSerializer(serializers.Serializer):
        public = serializers.BooleanField(required=False, allow_null=True, default=None)
        status = LobbyStatusField(required=False)
        search = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        is_public = serializers.BooleanField(default=True)
        max_participants = serializers.IntegerField(min_value=MIN_PARTICIPANTS, max_value=MAX_PARTICIPANTS, default=8)

    def get_queryset(self):
        filters = self.FilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return selectors.lobby_list(user=self.request.user, **filters.validated_data)

    @extend_schema(parameters=[FilterSerializer], tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={201: LobbyDetailSerializer},
        tags=TAGS,
    )
    @error_codes({400: ("text_refused",), 403: ("premium_required", "private_lobby"), 404: ("lobby_not_found",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lobby = services.lobby_create(owner=request.user, **data.validated_data)
        return Response(_detail(lobby.pk, request.user), status=status.HTTP_201_CREATED)


class LobbyDetailApi(APIView):
    @extend_schema(responses={200: LobbyDetailSerializer}, tags=TAGS)
    @error_codes({403: ("permission_denied", "private_lobby"), 404: ("lobby_not_found",)})
    def get(self, request, lobby_id: int):
        return Response(_detail(lobby_id, request.user))


class LobbyJoinApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: LobbyDetailSerializer,
        },
        tags=TAGS,
    )
    @error_codes({403: ("banned", "private_lobby"), 404: ("lobby_not_found",), 409: ("lobby_closed", "lobby_full")})
    def post(self, request, lobby_id: int):
        services.lobby_join(lobby_id=lobby_id, user=request.user)
        return Response(_detail(lobby_id, request.user))


class LobbyLeaveApi(APIView):
    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()

    @extend_schema(request=None, responses={200: OutputSerializer}, tags=TAGS)
    @error_codes({404: ("lobby_not_found", "not_member")})
    def post(self, request, lobby_id: int):
        services.lobby_leave(lobby_id=lobby_id, user=request.user)
        return Response({"status": "left"})


class LobbyStartApi(APIView):
    class InputSerializer(serializers.Serializer):
        mode = serializers.CharField(
            default=services.LOBBY_MODE,
            max_length=32,
            help_text="a mode of GET /api/game/modes/ whose player range holds the member count (default relay)",
        )

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()
        game_id = serializers.IntegerField(allow_null=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
        },
        tags=TAGS,
        description="Owner only: a game of `mode` for every member, in join order. 400 `invalid_mode` for a mode "
        "the server does not run; 409 `invalid_player_count` (with `min_players`, `max_players`) when the members "
        "are too few or too many for it, `not_enough_players` under two members, `lobby_closed`.",
    )
    @error_codes(
        {
            400: ("invalid_mode",),
            403: ("not_owner",),
            404: ("lobby_not_found",),
            409: ("invalid_player_count", "lobby_closed", "not_enough_players"),
        }
    )
    def post(self, request, lobby_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lobby = services.lobby_start(lobby_id=lobby_id, user=request.user, mode=data.validated_data["mode"])
        return Response({"status": lobby.status, "game_id": lobby.game_id})


# The refusals of an act on a member (services._check_moderation_target).
MODERATION_REFUSALS = {
    400: ("cannot_moderate_self",),
    403: ("cannot_moderate_moderator", "cannot_moderate_owner", "not_moderator"),
}


class LobbyKickApi(chatrooms.MemberActionApi):
    input = ModerationInput
    done = "kicked"
    act = staticmethod(services.lobby_kick)
    error_codes = {**MODERATION_REFUSALS, 404: ("lobby_not_found", "not_member")}


class LobbyBanApi(chatrooms.MemberActionApi):
    input = ModerationInput
    done = "banned"
    act = staticmethod(services.lobby_ban)
    error_codes = {**MODERATION_REFUSALS, 404: ("lobby_not_found", "user_not_found"), 409: ("already_banned",)}


class LobbyUnbanApi(chatrooms.MemberActionApi):
    done = "unbanned"
    act = staticmethod(services.lobby_unban)
    error_codes = {403: ("not_moderator",), 404: ("lobby_not_found", "not_banned", "user_not_found")}


class LobbyModeratorAddApi(chatrooms.MemberActionApi):
    member = LobbyMemberSerializer
    act = staticmethod(services.lobby_moderator_add)
    error_codes = {403: ("not_owner",), 404: ("lobby_not_found", "not_member"), 409: ("already_moderator",)}


class LobbyModeratorRemoveApi(APIView):
    @extend_schema(
        responses={200: LobbyMemberSerializer},
        tags=TAGS,
    )
    @error_codes({403: ("not_owner",), 404: ("lobby_not_found", "not_moderator")})
    def delete(self, request, lobby_id: int, user_id: int):
        membership = services.lobby_moderator_remove(lobby_id=lobby_id, actor=request.user, user_id=user_id)
        return Response(LobbyMemberSerializer(chatrooms.member_payload(membership)).data)


class LobbyMessagesApi(chatrooms.RoomMessagesApi):
    room = services.ROOM
    room_kwarg = "lobby_id"
    not_found = "lobby_not_found"

    class InputSerializer(serializers.Serializer):
        content = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, trim_whitespace=True)


class LobbyMessageDeleteApi(APIView):
    @extend_schema(responses={204: None}, tags=TAGS)
    @error_codes({403: ("not_moderator", "permission_denied"), 404: ("message_not_found",)})
    def delete(self, request, lobby_id: int, message_id: int):
        services.message_delete(message_id=message_id, actor=request.user, lobby_id=lobby_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# What a lobby's moderators (and staff) read: its event log, its bans (``rows``: the selector).
class LobbyModeratorListApi(ListAPIView):
    rows: Callable[..., QuerySet]

    def get_queryset(self):
        return self.rows(lobby_id=self.kwargs["lobby_id"], user=self.request.user)

    @extend_schema(tags=TAGS)
    @error_codes({403: ("not_member", "not_moderator", "permission_denied"), 404: ("lobby_not_found",)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class LobbyEventsApi(LobbyModeratorListApi):
    serializer_class = LobbyEventSerializer
    rows = staticmethod(selectors.lobby_events)


class LobbyBansApi(LobbyModeratorListApi):
    serializer_class = LobbyBanSerializer
    rows = staticmethod(selectors.lobby_bans)

"""REST routes of the groups app: one view per operation, thin over the services."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.chat import rooms as chatrooms
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from groups import events, selectors, services
from groups.models import (
    DESCRIPTION_MAX_LENGTH,
    MAX_MEMBERS,
    MESSAGE_MAX_LENGTH,
    MIN_MEMBERS,
    NAME_MAX_LENGTH,
    GroupMembership,
)

TAGS = ["groups"]


class GroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    open = serializers.BooleanField()
    max_members = serializers.IntegerField()
    member_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class GroupRoleField(serializers.ChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(choices=GroupMembership.Role.choices, **kwargs)


class GroupMemberSerializer(chatrooms.RoomMemberSerializer):
    role = GroupRoleField()


class MyGroupSerializer(GroupSerializer):
    role = serializers.CharField(help_text="My role: `superadmin`, `admin` or `member`.")


class GroupJoinRequestSerializer(serializers.Serializer):
    user = chatrooms.RoomUserSerializer()
    created_at = serializers.DateTimeField()


def _group(group_id: int) -> dict:
    return events.group_payload(selectors.group_get(group_id=group_id))


class GroupsApi(chatrooms.PayloadListApi):
    serializer_class = GroupSerializer

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(required=False, allow_blank=True, max_length=NAME_MAX_LENGTH, default="")

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=NAME_MAX_LENGTH)
        description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
        open = serializers.BooleanField(default=True)
        max_members = serializers.IntegerField(min_value=MIN_MEMBERS, max_value=MAX_MEMBERS, default=100)

    def get_queryset(self):
        filters = self.FilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return selectors.group_list(**filters.validated_data)

    def payload(self, row) -> dict:
        return events.group_payload(row)

    @extend_schema(
        parameters=[FilterSerializer],
        tags=TAGS,
        description="Every group, newest first; `search` matches names (any case).",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={201: GroupSerializer},
        tags=TAGS,
        description="A new group; its creator is its `superadmin`. Names are unique in any case.",
    )
    @error_codes({400: ("text_refused",), 409: ("group_name_taken",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.group_create(creator=request.user, **data.validated_data)
        return Response(events.group_payload(group), status=status.HTTP_201_CREATED)


@extend_schema(
    tags=TAGS,
    description="The groups I am in, with my role, the oldest membership first, a page at a time "
    "(`page`, `page_size`).",
)
class GroupMineApi(chatrooms.PayloadListApi):
    serializer_class = MyGroupSerializer

    def get_queryset(self):
        return selectors.groups_of_user(user_id=self.request.user.pk)

    def payload(self, row) -> dict:
        return {**events.group_payload(row.group), "role": row.role}


class GroupDetailApi(APIView):
    @extend_schema(responses={200: GroupSerializer}, tags=TAGS)
    @error_codes({404: ("group_not_found",)})
    def get(self, request, group_id: int):
        return Response(_group(group_id))


class GroupJoinApi(APIView):
    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField(help_text="`member` (an open group) or `requested` (a closed one).")
        group = GroupSerializer()

    @extend_schema(
        request=None,
        responses={200: OutputSerializer},
        tags=TAGS,
        description="An open group: member at once. A closed one: a join request its admins accept or decline.",
    )
    @error_codes({403: ("banned",), 404: ("group_not_found",), 409: ("group_full",)})
    def post(self, request, group_id: int):
        outcome = services.group_join(group_id=group_id, user=request.user)
        return Response({"status": outcome, "group": _group(group_id)})


class GroupLeaveApi(APIView):
    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()

    @extend_schema(
        request=None,
        responses={200: OutputSerializer},
        tags=TAGS,
        description="A superadmin who leaves hands the group to the oldest admin, else the oldest member; "
        "the last member's leaving deletes the group.",
    )
    @error_codes({404: ("group_not_found", "not_member")})
    def post(self, request, group_id: int):
        services.group_leave(group_id=group_id, user=request.user)
        return Response({"status": "left"})


class GroupMembersApi(chatrooms.PayloadListApi):
    serializer_class = GroupMemberSerializer

    def get_queryset(self):
        return selectors.group_memberships(group_id=self.kwargs["group_id"])

    def payload(self, row) -> dict:
        return chatrooms.member_payload(row)

    @extend_schema(
        tags=TAGS, summary="List group members", description="Members, longest-standing first, a page at a time."
    )
    @error_codes({404: ("group_not_found",)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class GroupRequestsApi(chatrooms.PayloadListApi):
    serializer_class = GroupJoinRequestSerializer

    def get_queryset(self):
        return selectors.group_join_requests(group_id=self.kwargs["group_id"], user=self.request.user)

    def payload(self, row) -> dict:
        return events.request_payload(row)

    @extend_schema(
        tags=TAGS,
        summary="List group requests",
        description="Pending join requests, oldest first, a page at a time. Admins only.",
    )
    @error_codes({403: ("not_group_admin", "not_member"), 404: ("group_not_found",)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class GroupRequestAcceptApi(APIView):
    @extend_schema(request=None, responses={200: GroupMemberSerializer}, tags=TAGS)
    @error_codes({403: ("not_group_admin",), 404: ("group_not_found", "request_not_found"), 409: ("group_full",)})
    def post(self, request, group_id: int, user_id: int):
        membership = services.group_request_accept(group_id=group_id, actor=request.user, user_id=user_id)
        return Response(chatrooms.member_payload(membership))


class GroupRequestDeclineApi(APIView):
    @extend_schema(request=None, responses={200: chatrooms.MemberActionOutput}, tags=TAGS)
    @error_codes({403: ("not_group_admin",), 404: ("group_not_found", "request_not_found")})
    def post(self, request, group_id: int, user_id: int):
        services.group_request_decline(group_id=group_id, actor=request.user, user_id=user_id)
        return Response({"status": "declined", "user_id": user_id})


# The refusals of an act on another member (services._require_admin, _require_outranks).
RANK_REFUSALS = {403: ("cannot_act_on_self", "insufficient_role", "not_group_admin")}


@extend_schema(
    description="A member becomes an admin; an admin, promoted by the superadmin, becomes the superadmin "
    "(the promoter becomes an admin). Only a higher role acts on a lower one.",
)
class GroupPromoteApi(chatrooms.MemberActionApi):
    member = GroupMemberSerializer
    act = staticmethod(services.group_promote)
    error_codes = {**RANK_REFUSALS, 404: ("group_not_found", "not_member")}


class GroupDemoteApi(chatrooms.MemberActionApi):
    member = GroupMemberSerializer
    act = staticmethod(services.group_demote)
    error_codes = {**RANK_REFUSALS, 404: ("group_not_found", "not_member"), 409: ("not_admin",)}


class GroupKickApi(chatrooms.MemberActionApi):
    done = "kicked"
    act = staticmethod(services.group_kick)
    error_codes = {**RANK_REFUSALS, 404: ("group_not_found", "not_member")}


class GroupBanApi(chatrooms.MemberActionApi):
    done = "banned"
    act = staticmethod(services.group_ban)
    error_codes = {**RANK_REFUSALS, 404: ("group_not_found", "user_not_found"), 409: ("already_banned",)}


class GroupMessagesApi(chatrooms.RoomMessagesApi):
    room = services.ROOM
    room_kwarg = "group_id"
    not_found = "group_not_found"

    class InputSerializer(serializers.Serializer):
        content = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, trim_whitespace=True)

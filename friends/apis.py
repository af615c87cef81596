from collections.abc import Callable

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts.serializers import PublicUserSerializer
from friends import selectors, services
from friends.models import FriendRequest
from friends.serializers import FriendRequestSerializer, UserIdInput
from gameplatform.data.ratelimit import Budget, SlidingWindowThrottle
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes


class FriendRequestThrottle(SlidingWindowThrottle):
    budget = Budget("friend_request", limit=30, window=60.0, what="friend requests")


@extend_schema(tags=["friends"])
class FriendListApi(ListAPIView):
    class OutputSerializer(serializers.Serializer):
        user = PublicUserSerializer()
        online = serializers.BooleanField()
        since = serializers.DateTimeField()
        last_seen = serializers.DateTimeField(allow_null=True, help_text="When the last socket closed; null if online")

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.friendships_for(user_id=self.request.user.pk)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = selectors.friend_rows(friendships=list(page))
        return self.get_paginated_response(self.OutputSerializer(rows, many=True).data)


class FriendRequestListApi(ListAPIView):
    serializer_class = FriendRequestSerializer

    def get_throttles(self) -> list[BaseThrottle]:
        return [FriendRequestThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        direction = self.request.query_params.get("direction", "incoming")
        if direction not in ("incoming", "outgoing"):
            raise ValidationError({"direction": ["Use incoming or outgoing."]})
        return selectors.pending_requests(user_id=self.request.user.pk, direction=direction)

    @extend_schema(
        parameters=[OpenApiParameter("direction", str, enum=["incoming", "outgoing"], description="default incoming")],
        tags=["friends"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=UserIdInput,
        responses={201: FriendRequestSerializer},
        description="A request, or (when that user already asked you) the acceptance of theirs: "
        "status `pending` or `accepted`.",
        tags=["friends"],
    )
    @error_codes(
        {
            400: ("self_request",),
            403: ("blocked", "not_allowed"),
            404: ("not_found",),
            409: ("already_friends", "duplicate_request"),
        }
    )
    def post(self, request):
        data = UserIdInput(data=request.data)
        data.is_valid(raise_exception=True)
        friend_request = services.friend_request_send(from_user=request.user, to_user_id=data.validated_data["user_id"])
        return Response(FriendRequestSerializer(friend_request).data, status=status.HTTP_201_CREATED)


# The receiver answers a request (``answer``: the service that accepts or declines it); the
# request as it then stands.
class FriendRequestAnswerApi(APIView):
    answer: Callable[..., FriendRequest]

    @extend_schema(request=None, responses={200: FriendRequestSerializer}, tags=["friends"])
    @error_codes({403: ("forbidden",), 409: ("not_pending",)})
    def post(self, request, request_id: int):
        friend_request = self.answer(request_id=request_id, user=request.user)
        return Response(FriendRequestSerializer(friend_request).data)


class FriendRequestAcceptApi(FriendRequestAnswerApi):
    answer = staticmethod(services.friend_request_accept)


class FriendRequestDeclineApi(FriendRequestAnswerApi):
    answer = staticmethod(services.friend_request_decline)


class FriendRequestCancelApi(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["friends"])
    @error_codes({403: ("forbidden",), 409: ("not_pending",)})
    def delete(self, request, request_id: int):
        services.friend_request_cancel(request_id=request_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendRemoveApi(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["friends"])
    @error_codes({404: ("not_friends",)})
    def delete(self, request, user_id: int):
        services.friendship_remove(user=request.user, friend_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockListApi(ListAPIView):
    class OutputSerializer(serializers.Serializer):
        user = PublicUserSerializer(source="blocked")
        created_at = serializers.DateTimeField()

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.blocks_for(user_id=self.request.user.pk)

    @extend_schema(tags=["friends"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=UserIdInput, responses={201: OutputSerializer}, tags=["friends"])
    @error_codes({400: ("self_block",), 404: ("not_found",)})
    def post(self, request):
        data = UserIdInput(data=request.data)
        data.is_valid(raise_exception=True)
        block = services.block_create(blocker=request.user, blocked_id=data.validated_data["user_id"])
        return Response(self.OutputSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockRemoveApi(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["friends"])
    @error_codes({404: ("not_blocked",)})
    def delete(self, request, user_id: int):
        services.block_remove(blocker=request.user, blocked_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

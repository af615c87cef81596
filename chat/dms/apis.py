from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import PublicUserSerializer
from chat.dms import selectors, services
from chat.models import DM_MAX_LENGTH, DirectMessage
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from gameplatform.http.pagination import MessageCursorPagination
from gameplatform.http.serializers import ModelSerializer


class DirectMessageSerializer(ModelSerializer):
    class Meta:
        model = DirectMessage
        fields = ["id", "sender_id", "recipient_id", "content", "created_at", "read_at"]
        read_only_fields = fields


@extend_schema(tags=["direct messages"])
class DmConversationListApi(ListAPIView):
    """My conversations, the most recent first."""

    class OutputSerializer(serializers.Serializer):
        user = PublicUserSerializer()
        last_message = DirectMessageSerializer()
        unread_count = serializers.IntegerField()

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.dm_conversation_rows(user_id=self.request.user.pk)

    def list(self, request, *args, **kwargs):
        rows = self.paginate_queryset(self.get_queryset())
        conversations = selectors.dm_conversations_hydrate(rows=rows)
        return self.get_paginated_response(self.OutputSerializer(conversations, many=True).data)


class DmMessagesApi(ListAPIView):
    """History (cursor pages, newest page first, oldest first within a page) and send."""

    class InputSerializer(serializers.Serializer):
        content = serializers.CharField(max_length=DM_MAX_LENGTH, trim_whitespace=False)

    serializer_class = DirectMessageSerializer
    pagination_class = MessageCursorPagination

    def get_queryset(self):
        peer_id = self.kwargs["user_id"]
        selectors.dm_require_access(user_id=self.request.user.pk, peer_id=peer_id)
        return selectors.dm_history(user_id=self.request.user.pk, peer_id=peer_id)

    @extend_schema(tags=["direct messages"])
    @error_codes({400: ("self_message",), 403: ("blocked", "not_friends")})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=InputSerializer, responses={201: DirectMessageSerializer}, tags=["direct messages"])
    @error_codes(
        {
            400: ("self_message",),
            403: ("age_required", "blocked", "chat_restricted", "muted", "not_friends"),
            429: ("rate_limited",),
        }
    )
    def post(self, request, user_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.dm_send(sender=request.user, recipient_id=user_id, content=data.validated_data["content"])
        return Response(DirectMessageSerializer(message).data, status=status.HTTP_201_CREATED)


class DmReadApi(APIView):
    class OutputSerializer(serializers.Serializer):
        marked_read = serializers.IntegerField()

    @extend_schema(request=None, responses={200: OutputSerializer}, tags=["direct messages"])
    @error_codes({400: ("self_message",), 403: ("blocked", "not_friends")})
    def post(self, request, user_id: int):
        count = services.dm_mark_read(user=request.user, peer_id=user_id)
        return Response({"marked_read": count})

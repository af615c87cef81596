from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.http import serializers
from gameplatform.http.serializers import ModelSerializer
from notifications import selectors, services
from notifications.models import Notification


@extend_schema(
    parameters=[OpenApiParameter("unread", str, enum=["1", "0"], description="1: unread ones only")],
    tags=["notifications"],
)
class NotificationListApi(ListAPIView):
    class OutputSerializer(ModelSerializer):
        read = serializers.SerializerMethodField()

        class Meta:
            model = Notification
            fields = ["id", "kind", "payload", "created_at", "read_at", "read"]

        def get_read(self, notification: Notification) -> bool:
            return notification.read_at is not None

    serializer_class = OutputSerializer

    def get_queryset(self):
        unread_only = self.request.query_params.get("unread") in ("1", "true")
        return selectors.notification_list(user_id=self.request.user.pk, unread_only=unread_only)


class NotificationReadApi(APIView):
    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500)
        all = serializers.BooleanField(required=False, default=False)

        def validate(self, attrs):
            if not attrs.get("all") and not attrs.get("ids"):
                raise serializers.ValidationError({"ids": ["Give ids, or all: true."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        marked = serializers.IntegerField(help_text="How many unread notifications became read")

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, tags=["notifications"])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(
            user_id=request.user.pk, ids=data.validated_data.get("ids"), all=data.validated_data["all"]
        )
        return Response({"marked": marked})

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import policy
from game.registry import default_mode
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from matchmaking.queue import services


class QueueStatusOutput(serializers.Serializer):
    status = serializers.CharField(help_text="idle, queued or matched")
    mode = serializers.CharField(allow_null=True)
    position = serializers.IntegerField(allow_null=True, help_text="1 = next in line (queued only)")
    game_id = serializers.IntegerField(allow_null=True, help_text="the game you were matched into (matched only)")


class MatchmakingJoinApi(APIView):
    class InputSerializer(serializers.Serializer):
        mode = serializers.CharField(
            default=default_mode, max_length=32, help_text="a mode of GET /api/game/modes/ (default tictactoe)"
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: QueueStatusOutput},
        tags=["matchmaking"],
        description="Join the queue (idempotent). 409 `already_in_game` (with `game_id`) while in an unfinished game; "
        "400 `invalid_mode`.",
    )
    @error_codes(
        {
            400: ("invalid_mode", "invalid_player_count", "invalid_players"),
            403: ("age_required",),
            409: ("already_in_game",),
        }
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy.require(request.user, "play")  # AGE_REQUIRED: a band first
        status = services.queue_join(user_id=request.user.pk, mode=data.validated_data["mode"])
        return Response(QueueStatusOutput(asdict(status)).data)


class MatchmakingLeaveApi(APIView):
    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField(help_text="left")

    @extend_schema(
        request=None,
        responses={200: OutputSerializer},
        tags=["matchmaking"],
        description="Leave the queue; 404 `not_queued` when not queued (e.g. already matched).",
    )
    @error_codes({404: ("not_queued",)})
    def post(self, request):
        services.queue_leave(user_id=request.user.pk)
        return Response({"status": "left"})


class MatchmakingStatusApi(APIView):
    @extend_schema(responses={200: QueueStatusOutput}, tags=["matchmaking"])
    def get(self, request):
        return Response(QueueStatusOutput(asdict(services.queue_status(user_id=request.user.pk))).data)

from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from game import registry, replays, selectors, services
from game.models import Game, GamePlayer, Rating
from gameplatform.data.ratelimit import Budget, SlidingWindowThrottle
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes


class GamePlayerOutput(serializers.ModelSerializer):
    id = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")

    class Meta:
        model = GamePlayer
        fields = ["id", "username", "score", "side", "ready", "connected", "forfeited", "rating_change"]
        read_only_fields = fields


class GameOutput(serializers.ModelSerializer):
    players = GamePlayerOutput(many=True)
    turn = serializers.IntegerField(source="turn_id", allow_null=True)
    # Declared: as a read-only model field, its enum would leave out the "" of a game still playing.
    reason = serializers.CharField(help_text="win, draw, forfeit or abandoned; empty while playing")

    class Meta:
        model = Game
        fields = [
            "id",
            "mode",
            "state",
            "players",
            "board",
            "turn",
            "winner_id",
            "reason",
            "lobby_id",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


@extend_schema(tags=["game"], description="My games, newest first.")
class GameListApi(ListAPIView):
    serializer_class = GameOutput

    def get_queryset(self):
        return selectors.games_for_user(user_id=self.request.user.pk)


class GameDetailApi(APIView):
    @extend_schema(responses={200: GameOutput}, tags=["game"], description="Players of the game only (403).")
    @error_codes({403: ("not_a_player",), 404: ("game_not_found",)})
    def get(self, request, game_id: int):
        return Response(GameOutput(selectors.game_get_for_player(game_id=game_id, user_id=request.user.pk)).data)


class ReplayOutput(serializers.Serializer):
    class InputOutput(serializers.Serializer):
        t = serializers.FloatField(help_text="game time in seconds")
        tick = serializers.IntegerField(help_text="the game's tick (turn-based: its clock's steps) after the input")
        player = serializers.IntegerField()
        type = serializers.CharField(help_text="connect, disconnect, ready, move, action, input, forfeit")
        data = serializers.JSONField(allow_null=True)

    game_id = serializers.IntegerField()
    mode = serializers.CharField()
    mode_version = serializers.CharField()
    seed = serializers.IntegerField()
    flags = serializers.JSONField(
        help_text="the live operations flags its rules read (ctx.flag), as it started: {room: {flag: value}, "
        "players: {user id: {flag: value}}}; with the seed, what plays it again"
    )
    players = serializers.JSONField()
    inputs = InputOutput(many=True)
    steps = serializers.JSONField(help_text="every step the room took, [step, t, op, args, version]: to play it again")
    grace = serializers.JSONField(help_text="the reconnect grace the room ran with: {reconnect, first} seconds")
    result = serializers.JSONField()


class ReplayThrottle(SlidingWindowThrottle):
    """Both replay endpoints together, per user: each answer may play the whole game again on the
    server (a replay is checked against its result; its frames are cached for a while once made)."""

    budget = Budget("replay", limit=60, window=60.0, what="replay requests", limit_setting="REPLAY_RATE_LIMIT")


class GameReplayApi(APIView):
    throttle_classes = [ReplayThrottle]

    @extend_schema(
        responses={200: ReplayOutput},
        tags=["game"],
        description="A finished game's replay: its seed, players and every input, played again on the server to "
        "check it ends with the recorded result. The game's players, staff, and anyone for a mode whose views "
        "are all public.",
    )
    @error_codes({403: ("not_allowed",), 404: ("game_not_found", "not_found"), 409: ("replay_unavailable",)})
    def get(self, request, game_id: int):
        return Response(ReplayOutput(replays.replay_for(game_id=game_id, user=request.user)).data)


class ReplayFrameOutput(serializers.Serializer):
    tick = serializers.IntegerField(help_text="a real-time game's tick; a turn-based game's change, from 0")
    view = serializers.JSONField(help_text="the spectators' view then (Mode.spectator_view)")


class ReplayFramesOutput(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="the next page, or null")
    previous = serializers.CharField(allow_null=True)
    results = ReplayFrameOutput(many=True)


class GameReplayFramesApi(APIView):
    throttle_classes = [ReplayThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, description="the first tick (or change) to show; default 0"),
            OpenApiParameter("to", int, description="the last; default: the end"),
        ],
        responses={200: ReplayFramesOutput},
        tags=["game"],
        description="What a spectator saw of a finished game, played again on the server: the spectators' view "
        f"each time it changed, at most {replays.FRAMES_PAGE} a page. Who may: as the replay.",
    )
    @error_codes({403: ("not_allowed",), 404: ("game_not_found", "not_found"), 409: ("replay_unavailable",)})
    def get(self, request, game_id: int):
        bounds = ReplayBoundsInput(data=request.query_params)
        bounds.is_valid(raise_exception=True)
        start, end = bounds.validated_data.get("from", 0), bounds.validated_data.get("to")
        frames = replays.replay_frames(game_id=game_id, user=request.user, start=start, end=end)
        following = None
        if len(frames) == replays.FRAMES_PAGE and (end is None or frames[-1]["tick"] < end):
            query = {"from": frames[-1]["tick"] + 1, **({"to": end} if end is not None else {})}
            following = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        return Response(ReplayFramesOutput({"next": following, "previous": None, "results": frames}).data)


class ReplayBoundsInput(serializers.Serializer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = serializers.IntegerField(min_value=0, required=False)
        self.fields["to"] = serializers.IntegerField(min_value=0, required=False)


class LeaderboardApi(ListAPIView):
    class OutputSerializer(serializers.ModelSerializer):
        rank = serializers.IntegerField()
        user = serializers.SerializerMethodField()

        class Meta:
            model = Rating
            fields = ["rank", "user", "rating", "wins", "losses", "draws"]
            read_only_fields = fields

        def get_user(self, rating) -> dict:
            return {"id": rating.user_id, "username": rating.user.username}

    serializer_class = OutputSerializer

    def get_queryset(self):
        mode = self.request.query_params.get("mode") or registry.default_mode()
        registry.get_mode(mode)  # 400 invalid_mode
        return selectors.leaderboard(mode=mode)

    @extend_schema(
        parameters=[OpenApiParameter("mode", str, description="default tictactoe")],
        tags=["game"],
        description="Elo ratings of one mode, best first (players with at least one rated game).",
    )
    @error_codes({400: ("invalid_mode",)})
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        first_rank = (self.paginator.page.number - 1) * self.paginator.page.paginator.per_page + 1
        for rank, rating in enumerate(page, start=first_rank):
            rating.rank = rank
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RoomPlayerOutput(serializers.UserReference):
    pass


class RoomListApi(ListAPIView):
    """The match list: running games, as their rooms publish them (no database query)."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        mode = serializers.CharField()
        phase = serializers.CharField(help_text="waiting_for_players, waiting_for_ready or active")
        players = RoomPlayerOutput(many=True, help_text="the players still in the game, in seat order")
        spectators = serializers.IntegerField(help_text="spectator sockets watching the game (?watch=1)")
        label = serializers.DictField(
            child=serializers.JSONField(), help_text="the mode's public label: strings, numbers, booleans"
        )
        open = serializers.BooleanField(help_text="a player may still join (POST /api/game/rooms/{id}/join/)")
        started_at = serializers.DateTimeField(allow_null=True, help_text="null until every player was ready")

    class FilterSerializer(serializers.Serializer):
        mode = serializers.CharField(required=False, max_length=32)
        open = serializers.ChoiceField(choices=["1", "0", "true", "false"], required=False)

    serializer_class = OutputSerializer

    def get_queryset(self):
        params = self.request.query_params
        filters = self.FilterSerializer(data={k: params[k] for k in ("mode", "open") if k in params})
        filters.is_valid(raise_exception=True)
        mode = filters.validated_data.get("mode")
        if mode is not None:
            registry.get_mode(mode)  # 400 invalid_mode
        open_only = filters.validated_data.get("open")
        labels = {key.removeprefix("label."): params[key] for key in params if key.startswith("label.")}
        return selectors.running_rooms(
            mode=mode, open_only=None if open_only is None else open_only in ("1", "true"), labels=labels
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("mode", str, description="one mode's games only"),
            OpenApiParameter("open", str, enum=["1", "0"], description="1: games a player may join; 0: the others"),
            OpenApiParameter(
                "label.KEY",
                str,
                description=(
                    "games whose label has this value at KEY (any number of them): a string as it is, a number "
                    "or a boolean as JSON (`label.players=3`, `label.ranked=true`)"
                ),
            ),
        ],
        tags=["game"],
        description="Running games, newest first: what each room publishes, at most a second old.",
    )
    @error_codes({400: ("invalid_mode",)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RoomJoinApi(APIView):
    class OutputSerializer(serializers.Serializer):
        game_id = serializers.IntegerField()

    @extend_schema(
        request=None,
        responses={200: OutputSerializer},
        tags=["game"],
        description=(
            "Seat me in a running game whose mode takes players in progress (`join_in_progress`), while it has "
            "a free seat; joining twice is one join. Then open `WS /ws/game/{id}/`."
        ),
    )
    @error_codes({404: ("game_not_found",), 409: ("game_full", "not_joinable", "already_in_game")})
    def post(self, request, game_id: int):
        game = services.game_join(game_id=game_id, user=request.user)
        return Response(self.OutputSerializer({"game_id": game.pk}).data)


class ModeMessagesOutput(serializers.Serializer):
    """What a client may send a mode, as JSON Schema (``Mode.message_schemas``)."""

    player_move = serializers.JSONField(
        allow_null=True, help_text="JSON Schema of `player_move`'s `movement`; null: the mode takes no moves"
    )
    game_action = serializers.DictField(
        child=serializers.JSONField(),
        help_text='JSON Schema of each `game_action`\'s `data`, by action name ("*": any other name); {}: no actions',
    )
    input = serializers.JSONField(
        allow_null=True, help_text="JSON Schema of `input`'s `data` (real-time modes); null: the mode takes no inputs"
    )


@extend_schema(tags=["game"], description="Every game mode this server runs, in the order of `GAME_MODES`.")
class ModeListApi(ListAPIView):
    """The modes this platform runs (the setting ``GAME_MODES``): what a lobby or the queue may start."""

    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        title = serializers.CharField()
        description = serializers.CharField()
        min_players = serializers.IntegerField()
        max_players = serializers.IntegerField()
        tick_rate = serializers.IntegerField(help_text="0: turn-based; else updates per second")
        turn_seconds = serializers.FloatField(allow_null=True, help_text="the turn clock, if the mode has one")
        messages = ModeMessagesOutput(help_text="the client frames the mode takes and their schemas")
        input_rate = serializers.FloatField(help_text="client frames a second per player; extras get rate_limited")
        join_in_progress = serializers.BooleanField(
            help_text="players may take a free seat while a game runs (POST /api/game/rooms/{id}/join/)"
        )
        spectators = serializers.CharField(help_text='who may watch its games (?watch=1): "everyone" or "nobody"')
        spectator_delay = serializers.FloatField(help_text="seconds spectators see its games behind the players")

    serializer_class = OutputSerializer
    permission_classes = [AllowAny]
    authentication_classes = []

    def get_queryset(self):
        return [mode.describe() for mode in registry.modes().values()]

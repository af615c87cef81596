from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.http.openapi import error_codes
from leaderboards import selectors, services
from leaderboards.serializers import (
    BoardInput,
    BoardOutput,
    BoardRecordInput,
    BoardRecordOutput,
    RecordPageInput,
    RecordPageOutput,
    TournamentInput,
    TournamentOutput,
)

MAX_LIMIT = 100


class LeaderboardListApi(ListAPIView):
    serializer_class = BoardOutput

    def get_queryset(self):
        return selectors.leaderboard_list()

    @extend_schema(
        tags=["leaderboards"],
        description="Every leaderboard that is not a tournament's, by id, a page at a time (`page`, `page_size`).",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=BoardInput,
        responses={201: BoardOutput},
        tags=["leaderboards"],
        description="Staff in the role `liveops` or `admin` (audited `leaderboard.create`): players get 403 "
        "`admin_only`, staff without the role 403 `permission_denied`.",
    )
    @error_codes({400: ("invalid_cron",), 403: ("admin_only", "permission_denied"), 409: ("leaderboard_exists",)})
    def post(self, request):
        data = BoardInput(data=request.data)
        data.is_valid(raise_exception=True)
        board = services.leaderboard_create(actor=request.user, **data.validated_data)
        return Response(BoardOutput(board).data, status=status.HTTP_201_CREATED)


class LeaderboardDetailApi(APIView):
    @extend_schema(responses={200: BoardOutput}, tags=["leaderboards"])
    def get(self, request, board_id: str):
        return Response(BoardOutput(selectors.leaderboard_get(board_id=board_id)).data)


def _int_param(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    try:
        return default if raw in (None, "") else max(low, min(high, int(raw)))
    except ValueError:
        return default


def _page_link(request, **start: int) -> str:
    """This request's URL with the page's start (``after`` or ``before``) in place of its own."""
    params = request.query_params.copy()
    for name in ("after", "before", "around_me"):
        params.pop(name, None)
    for name, value in start.items():
        params[name] = str(value)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def _page_start(request, board, period: int) -> dict:
    """``{"after": record}`` or ``{"before": record}`` from the query (400 when it names no record here)."""
    data = RecordPageInput(data=request.query_params.dict())
    data.is_valid(raise_exception=True)
    start = {}
    for name, record_id in data.validated_data.items():
        record = selectors.record_of_period(board=board, period=period, record_id=record_id)
        if record is None:
            raise ValidationError({name: ["No record of this board and period has this id."]})
        start[name] = record
    return start


class RecordListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("around_me", int, enum=[0, 1], description="1: the page around my record"),
            OpenApiParameter("limit", int, description=f"rows a page, 1-{MAX_LIMIT} (default 20)"),
            OpenApiParameter("period", str, description="current (default), previous, or a period number"),
            OpenApiParameter("after", int, description="the rows ranked after this record (a `next` link sets it)"),
            OpenApiParameter("before", int, description="the rows ranked before it (a `previous` link sets it)"),
        ],
        responses={200: RecordPageOutput},
        operation_id="leaderboards_records_list",
        summary="List records",
        tags=["leaderboards"],
        description="Best first, a page at a time; ties ranked by who reached the score first. "
        "A tournament's standings too.",
    )
    @error_codes({400: ("invalid_period",)})
    def get(self, request, board_id: str):
        board = selectors.leaderboard_get(board_id=board_id)
        period = selectors.period_of(board=board, period=request.query_params.get("period"))
        limit = _int_param(request, "limit", 20, 1, MAX_LIMIT)
        start = _page_start(request, board, period)
        if not start and request.query_params.get("around_me") in ("1", "true"):
            page = selectors.records_page_around(board=board, period=period, user_id=request.user.pk, limit=limit)
        else:
            page = selectors.records_page(board=board, period=period, limit=limit, **start)
        body = {
            "next": _page_link(request, after=page.rows[-1].record.pk) if page.more_after else None,
            "previous": _page_link(request, before=page.rows[0].record.pk) if page.more_before else None,
            "results": page.rows,
        }
        return Response(RecordPageOutput(body).data)

    @extend_schema(
        request=BoardRecordInput,
        responses={200: BoardRecordOutput},
        tags=["leaderboards"],
        description="My record after the board's operator (best / set / incr). An `authoritative` board "
        "takes writes from modes' results and staff in the role `liveops` or `admin` only (403 `authoritative`; "
        "staff without the role 403 `permission_denied`; a staff write is audited `leaderboard.record`).",
    )
    @error_codes(
        {
            400: ("metadata_too_large", "score_out_of_range"),
            403: ("authoritative", "not_entered", "permission_denied"),
            409: ("tournament_closed",),
        }
    )
    def post(self, request, board_id: str):
        data = BoardRecordInput(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.record_write(
            board_id=board_id, user_id=request.user.pk, actor=request.user, **data.validated_data
        )
        rank = selectors.record_rank(board=record.board, record=record)
        return Response(BoardRecordOutput(selectors.Row(rank, record)).data)


def _tournament_rows(request, tournaments) -> list[dict]:
    from django.utils import timezone

    tournaments = list(tournaments)
    joined = selectors.joined_ids(user=request.user, tournament_ids=[t.pk for t in tournaments])
    now = timezone.now()
    for tournament in tournaments:
        tournament.status = selectors.tournament_status(tournament, now)
        tournament.joined = tournament.pk in joined
    return TournamentOutput(tournaments, many=True).data


class TournamentListApi(ListAPIView):
    serializer_class = TournamentOutput

    def get_queryset(self):
        return selectors.tournament_list()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(_tournament_rows(request, page))

    @extend_schema(
        tags=["tournaments"],
        description="Every tournament, the latest to start first, a page at a time (`page`, `page_size`).",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=TournamentInput,
        responses={201: TournamentOutput},
        tags=["tournaments"],
        description="Staff in the role `liveops` or `admin` (audited `tournament.create`): players get 403 "
        "`admin_only`, staff without the role 403 `permission_denied`. Its standings: "
        "`/api/leaderboards/{id}/records/`.",
    )
    @error_codes(
        {
            400: ("invalid_cron", "invalid_window"),
            403: ("admin_only", "permission_denied"),
            409: ("leaderboard_exists",),
        }
    )
    def post(self, request):
        data = TournamentInput(data=request.data)
        data.is_valid(raise_exception=True)
        tournament = services.tournament_create(actor=request.user, **data.validated_data)
        return Response(_tournament_rows(request, [tournament])[0], status=status.HTTP_201_CREATED)


class TournamentDetailApi(APIView):
    @extend_schema(responses={200: TournamentOutput}, tags=["tournaments"])
    def get(self, request, tournament_id: str):
        return Response(_tournament_rows(request, [selectors.tournament_get(tournament_id=tournament_id)])[0])


class TournamentJoinApi(APIView):
    @extend_schema(
        request=None,
        responses={200: TournamentOutput, 201: TournamentOutput},
        tags=["tournaments"],
        description="Pays the entry fee once (402 `insufficient_funds`); joining again answers 200 and pays nothing.",
    )
    @error_codes({402: ("insufficient_funds",), 409: ("tournament_full", "tournament_over")})
    def post(self, request, tournament_id: str):
        _, created = services.tournament_join(tournament_id=tournament_id, user=request.user)
        row = _tournament_rows(request, [selectors.tournament_get(tournament_id=tournament_id)])[0]
        return Response(row, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

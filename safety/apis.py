"""Player safety over REST: reports and sanctions for players, the queue and decisions for staff."""

import csv
import io

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import policy
from gameplatform.core.errors import ApplicationError, NotFound
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from safety import appeals, consent, reports, sanctions, selectors
from safety.models import Appeal, Report, Sanction
from staff.permissions import role_required
from staff.roles import MODERATOR

TAGS = ["player safety"]
STAFF_TAGS = ["moderation"]
Moderator = role_required(MODERATOR)


class UserBrief(serializers.UserReference):
    pass


class AppealOutput(serializers.Serializer):
    status = serializers.CharField()
    text = serializers.CharField()
    statement = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)


class SanctionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    statement = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    active = serializers.BooleanField()
    lifted_at = serializers.DateTimeField(allow_null=True, help_text="When staff lifted it, or an appeal reversed it")
    lift_statement = serializers.CharField(help_text="Why it was lifted (empty while it was not)")
    rule = serializers.CharField(help_text="The key of the rule broken in the rules list (`MODERATION_RULES`)")
    ground = serializers.CharField(help_text="The rule broken, its text as it was when the sanction was imposed")
    facts = serializers.CharField(help_text="The content it concerns, quoted, or what was seen")
    automated = serializers.BooleanField(help_text="Whether automated means decided it")
    appeal_until = serializers.DateTimeField(help_text="The end of its appeal window (180 days)")
    appeal = AppealOutput(allow_null=True)

    def to_representation(self, sanction):
        return sanctions.payload(sanction)


# --- players ------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class ReportListApi(ListAPIView):
    class InputSerializer(serializers.Serializer):
        user_id = serializers.IntegerField(min_value=1)
        reason = serializers.ChoiceField(choices=Report.Reason.choices)
        comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
        context = serializers.JSONField(
            required=False, default=dict, help_text="`{lobby_id}`, `{game_id}`, `{group_id}` or `{dm_user_id}`"
        )

    class OutputSerializer(serializers.ModelSerializer):
        user = UserBrief()

        class Meta:
            model = Report
            fields = ["id", "user", "reason", "status", "created_at"]
            read_only_fields = fields

    class FiledSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        status = serializers.CharField()

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.reports_of(reporter_id=self.request.user.pk)

    @extend_schema(
        request=InputSerializer,
        responses={201: FiledSerializer, 200: FiledSerializer},
        tags=TAGS,
        description=(
            "Report a player from a context I was in (else 403 `not_in_context`); the server attaches the evidence. "
            "Again while the first is open: 200 with it, its context's evidence and comment added to it."
        ),
    )
    @error_codes(
        {400: ("cannot_report_self",), 403: ("not_in_context",), 404: ("user_not_found",), 429: ("rate_limited",)}
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report, created = reports.report_file(reporter=request.user, **data.validated_data)
        return Response(
            {"id": report.pk, "status": report.status},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(tags=TAGS, description="My sanctions, newest first, with their statements and appeals.")
class SanctionListApi(ListAPIView):
    serializer_class = SanctionOutput

    def get_queryset(self):
        return selectors.sanctions_of(user_id=self.request.user.pk)


class AppealApi(APIView):
    """Logged in, or with the ``appeal_token`` a suspended or banned account was given (no login)."""

    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=2000)
        appeal_token = serializers.CharField(required=False, max_length=500)

    @extend_schema(request=InputSerializer, responses={201: SanctionOutput}, tags=TAGS)
    @error_codes({401: ("not_authenticated",), 404: ("not_found",), 409: ("appeal_exists", "appeal_window_closed")})
    def post(self, request, sanction_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = data.validated_data.get("appeal_token")
        if token:
            sanction = sanctions.sanction_for_token(token)
            if sanction.pk != sanction_id:
                raise NotFound("No sanction for this appeal token.", code="not_found")
        elif request.user.is_authenticated:
            sanction = Sanction.objects.filter(pk=sanction_id, user_id=request.user.pk).first()
            if sanction is None:
                raise NotFound("No such sanction of yours.", code="not_found")
        else:
            raise ApplicationError("Log in, or give the appeal token.", code="not_authenticated", status_code=401)
        appeal = appeals.appeal_file(sanction=sanction, text=data.validated_data["text"])
        sanction.appeal = appeal
        return Response(sanctions.payload(sanction), status=status.HTTP_201_CREATED)


# --- staff -------------------------------------------------------------------------------


class QueueReportSerializer(serializers.ModelSerializer):
    reporter = UserBrief(allow_null=True)
    user = UserBrief()
    open_reports_against_user = serializers.IntegerField()
    claimed_by = serializers.SerializerMethodField(help_text="The moderator whose claim holds now; null: nobody's")
    claim_ends_at = serializers.SerializerMethodField(help_text="When that claim lapses (REPORT_CLAIM_MINUTES)")

    @extend_schema_field(UserBrief(allow_null=True))
    def get_claimed_by(self, report: Report):
        return UserBrief(report.claimed_by).data if reports.claim_holder_id(report) is not None else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_claim_ends_at(self, report: Report):
        if reports.claim_holder_id(report) is None:
            return None
        return serializers.DateTimeField().to_representation(reports.claim_ends_at(report))

    class Meta:
        model = Report
        fields = [
            "id",
            "reporter",
            "user",
            "reason",
            "comment",
            "context",
            "evidence",
            "status",
            "created_at",
            "open_reports_against_user",
            "claimed_by",
            "claim_ends_at",
        ]
        read_only_fields = fields


def _queue_status(request, statuses) -> str:
    """The ``status`` a queue is asked for: ``open`` when none or an unknown one is."""
    wanted = request.query_params.get("status", statuses.OPEN)
    return wanted if wanted in statuses.values else statuses.OPEN


def _queue_status_parameter(statuses) -> OpenApiParameter:
    return OpenApiParameter("status", str, enum=statuses.values, description="open (default)")


@extend_schema(
    parameters=[_queue_status_parameter(Report.Status)],
    tags=STAFF_TAGS,
    description="The queue, oldest first, with each report's evidence and its user's open report count.",
)
class ModerationReportListApi(ListAPIView):
    permission_classes = [Moderator]
    serializer_class = QueueReportSerializer

    def get_queryset(self):
        return selectors.report_queue(status=_queue_status(self.request, Report.Status))


class GroundsInput(serializers.Serializer):
    """A decision's statement of reasons beyond its statement (``safety.rules``)."""

    rule = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="The rule broken (a key of `MODERATION_RULES`); none: the report's reason, or `other`",
    )
    facts = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="What it concerns, told to the player; none: quoted from the report's evidence, else the statement",
    )


class SanctionInput(GroundsInput):
    action = serializers.ChoiceField(choices=Sanction.Action.choices)
    duration_hours = serializers.IntegerField(min_value=1, max_value=sanctions.MAX_HOURS, required=False)
    statement = serializers.CharField(max_length=2000)


class ModerationReportResolveApi(APIView):
    permission_classes = [Moderator]

    class InputSerializer(GroundsInput):
        action = serializers.ChoiceField(choices=reports.RESOLUTIONS)
        duration_hours = serializers.IntegerField(min_value=1, max_value=sanctions.MAX_HOURS, required=False)
        statement = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={200: QueueReportSerializer}, tags=STAFF_TAGS)
    @error_codes({404: ("report_not_found", "user_not_found"), 409: ("report_claimed", "report_closed")})
    def post(self, request, report_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reports.report_resolve(staff=request.user, report_id=report_id, **data.validated_data)
        report = selectors.report_queue(status=None).get(pk=report_id)
        return Response(QueueReportSerializer(report).data)


class ModerationReportClaimApi(APIView):
    permission_classes = [Moderator]

    @extend_schema(
        request=None,
        responses={200: QueueReportSerializer},
        tags=STAFF_TAGS,
        description="Mark an open report as mine while I work it; another moderator's claim is refused.",
    )
    @error_codes({404: ("report_not_found",), 409: ("report_claimed", "report_closed")})
    def post(self, request, report_id: int):
        reports.report_claim(staff=request.user, report_id=report_id)
        return Response(QueueReportSerializer(selectors.report_queue(status=None).get(pk=report_id)).data)


class ModerationReportUnclaimApi(APIView):
    permission_classes = [Moderator]

    @extend_schema(
        request=None,
        responses={200: QueueReportSerializer},
        tags=STAFF_TAGS,
        description=(
            "Release a report's claim: it is open to every moderator again. Its claimer or a superuser may "
            "(another moderator: 403 `not_claimer` while the claim holds); a claim also lapses by itself "
            "`REPORT_CLAIM_MINUTES` after it was made."
        ),
    )
    @error_codes({403: ("not_claimer",), 404: ("report_not_found",), 409: ("report_closed",)})
    def post(self, request, report_id: int):
        reports.report_unclaim(staff=request.user, report_id=report_id)
        return Response(QueueReportSerializer(selectors.report_queue(status=None).get(pk=report_id)).data)


class ModerationSanctionApi(APIView):
    permission_classes = [Moderator]

    class InputSerializer(SanctionInput):
        user_id = serializers.IntegerField(min_value=1)

    @extend_schema(request=InputSerializer, responses={201: SanctionOutput}, tags=STAFF_TAGS)
    @error_codes({404: ("user_not_found",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sanction = sanctions.sanction_impose(staff=request.user, **data.validated_data)
        return Response(sanctions.payload(sanction), status=status.HTTP_201_CREATED)


class ModerationSanctionLiftApi(APIView):
    permission_classes = [Moderator]

    class InputSerializer(serializers.Serializer):
        statement = serializers.CharField(max_length=2000, help_text="Why it is lifted: the player reads it")

    @extend_schema(
        request=InputSerializer,
        responses={200: SanctionOutput},
        tags=STAFF_TAGS,
        description=(
            "Lift a running sanction now: a mute stops on every chat way of every process, a suspension or ban "
            "lets the player sign in again; the player is told (a `sanction` notification, `event: lifted`); audited "
            "as `sanction.lift`. A sanction that ended, was lifted already, or is a warning: 409 `sanction_not_active`."
        ),
    )
    @error_codes({404: ("sanction_not_found",), 409: ("sanction_not_active",)})
    def post(self, request, sanction_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sanction = sanctions.sanction_lift(staff=request.user, sanction_id=sanction_id, **data.validated_data)
        return Response(sanctions.payload(sanction))


class AppealReportSerializer(serializers.ModelSerializer):
    reporter = UserBrief(allow_null=True)

    class Meta:
        model = Report
        fields = ["id", "reporter", "reason", "comment", "context", "evidence", "created_at", "resolved_at"]
        read_only_fields = fields


@extend_schema(
    parameters=[_queue_status_parameter(Appeal.Status)],
    tags=STAFF_TAGS,
    description=(
        "The appeals, oldest first, each with what its review reads: the sanction's statement of reasons, who "
        "imposed it, the reports it was decided on with their evidence, and the player's other sanctions."
    ),
)
class ModerationAppealListApi(ListAPIView):
    permission_classes = [Moderator]

    class OutputSerializer(serializers.ModelSerializer):
        user = UserBrief(source="sanction.user")
        sanction = SanctionOutput()
        imposed_by = UserBrief(source="sanction.created_by", allow_null=True, help_text="null: automated, or gone")
        decided_by = UserBrief(allow_null=True)
        reports = AppealReportSerializer(
            source="sanction.reports", many=True, help_text="The reports it was decided on, with their evidence"
        )
        history = serializers.SerializerMethodField(help_text="The player's other sanctions, newest first")

        @extend_schema_field(SanctionOutput(many=True))
        def get_history(self, appeal: Appeal):
            others = [s for s in appeal.sanction.user.sanctions.all() if s.pk != appeal.sanction_id]
            return SanctionOutput(others, many=True).data

        class Meta:
            model = Appeal
            fields = ["id", "user", "sanction", "imposed_by", "reports", "history", "text", "status", "statement",
                      "created_at", "decided_at", "decided_by"]  # fmt: skip
            read_only_fields = fields

    serializer_class = OutputSerializer

    def get_queryset(self):
        return selectors.appeal_queue(status=_queue_status(self.request, Appeal.Status))


class ModerationAppealDecideApi(APIView):
    permission_classes = [Moderator]

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=appeals.DECISIONS)
        statement = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses={200: ModerationAppealListApi.OutputSerializer}, tags=STAFF_TAGS)
    @error_codes({404: ("appeal_not_found",), 409: ("appeal_decided", "same_moderator")})
    def post(self, request, appeal_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = appeals.appeal_decide(staff=request.user, appeal_id=appeal_id, **data.validated_data)
        return Response(
            ModerationAppealListApi.OutputSerializer(selectors.appeal_queue(status=None).get(pk=appeal.pk)).data
        )


class CountsCsvRenderer(BaseRenderer):
    """The transparency counts as CSV (``?format=csv`` or ``Accept: text/csv``): ``section,name,value``."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if not isinstance(data, dict) or "reports" not in data:  # an error answer: its fields, one per row
            return _rows([["field", "value"], *([k, v] for k, v in (data or {}).items())])
        rows = [["section", "name", "value"]]
        for section in ("reports", "actions"):
            rows += [[section, name, value] for name, value in data[section].items()]
        for name in ("median_hours_to_action", "appeals", "reversed"):
            rows.append(["totals", name, "" if data[name] is None else data[name]])
        return _rows(rows)


def _rows(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


class TransparencyApi(APIView):
    permission_classes = [Moderator]
    renderer_classes = [JSONRenderer, CountsCsvRenderer]

    class FilterSerializer(serializers.Serializer):
        since = serializers.DateTimeField(required=False)
        until = serializers.DateTimeField(required=False)

    class OutputSerializer(serializers.Serializer):
        reports = serializers.DictField(child=serializers.IntegerField())
        actions = serializers.DictField(child=serializers.IntegerField())
        median_hours_to_action = serializers.FloatField(allow_null=True)
        appeals = serializers.IntegerField()
        reversed = serializers.IntegerField()

    @extend_schema(parameters=[FilterSerializer], responses={200: OutputSerializer}, tags=STAFF_TAGS)
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        counts = selectors.transparency(
            since=filters.validated_data.get("since"), until=filters.validated_data.get("until")
        )
        return Response(counts)


class ModerationConsentApi(APIView):
    permission_classes = [Moderator]

    class OutputSerializer(serializers.Serializer):
        user_id = serializers.IntegerField()
        age_band = serializers.CharField()
        parental_consent_at = serializers.DateTimeField()

    @extend_schema(
        request=None,
        responses={200: OutputSerializer},
        tags=STAFF_TAGS,
        description=(
            "Record that a parent consented for this (under-13) account: its free-text chat opens at once on "
            "every process (docs/accounts-and-the-law.md). Audited as `age.consent`."
        ),
    )
    @error_codes({404: ("not_found",)})
    def post(self, request, user_id: int):
        user = consent.parental_consent_record(staff=request.user, user_id=user_id)
        return Response(
            {"user_id": user.pk, "age_band": policy.band_of(user), "parental_consent_at": user.parental_consent_at}
        )

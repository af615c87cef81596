"""Live operations over REST: what a player sees (``GET /api/liveops/``), what their client says
about itself, and the flags for staff (role ``liveops``)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import JWTAuthentication
from gameplatform.core.errors import NotFound
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from liveops import evaluation, selectors, services
from liveops.models import Flag, PlayerAttributes
from liveops.schedule import conflicts
from staff.permissions import role_required
from staff.roles import LIVEOPS

TAGS = ["live operations"]
STAFF_TAGS = ["live operations (staff)"]
LiveopsStaff = role_required(LIVEOPS)


class LiveopsOutput(serializers.Serializer):
    flags = serializers.DictField(
        child=serializers.JSONField(), help_text="`{name: value}`: every flag's value for me."
    )
    experiments = serializers.DictField(
        child=serializers.IntegerField(), help_text="`{key: variation}`: the experiments I am in, by variation index."
    )
    variation_names = serializers.DictField(
        child=serializers.CharField(),
        help_text="`{key: name}`: of the experiments I am in whose variations are strings, my variation's "
        "(`experiments` keeps its index).",
    )
    live_events = serializers.ListField(
        child=serializers.DictField(),
        help_text="The live events running now for me: `[{id, name, description, value, starts_at, ends_at, join, "
        "joined}]` (a recurring one's current occurrence).",
    )
    messages_unread = serializers.IntegerField(help_text="How many messages of my inbox I have not read (0 anonymous).")


class AnswerRenderer(JSONRenderer):
    """REST framework's JSON renderer that sends a player's answer (``evaluation.Answer``) as it was
    rendered once with it: the same bytes, without rendering them again at each request (an
    ``indent`` asked for in ``Accept`` renders them anew)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, evaluation.Answer):
            if self.get_indent(accepted_media_type, renderer_context or {}) is None:
                return data.content
            data = data.body
        return super().render(data, accepted_media_type, renderer_context)


class LiveopsApi(APIView):
    """Every flag's value for me, the experiments I am in and the live events running for me
    (anonymous: every flag's default and the events without a condition); a running live event's
    override comes before the flag's rules.

    The answer has an ``ETag``; ``If-None-Match`` with it answers 304 while nothing I see changed.
    ``messages_unread`` counts my unread inbox messages (it is in the ETag: a new message or a read
    one changes it).
    """

    permission_classes = [AllowAny]
    renderer_classes = [AnswerRenderer]

    def get_authenticators(self):
        # The token checked here, its user read with the player's own read: one statement.
        return [JWTAuthentication(read_user=False)]

    @extend_schema(
        responses={200: LiveopsOutput, 304: OpenApiResponse(description="Not modified (`If-None-Match`).")},
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)],
        tags=TAGS,
    )
    @error_codes({401: ("token_not_valid",)})  # a token whose sessions ended (accounts.sessions)
    def get(self, request):
        answer = evaluation.answer_for(user=request.user)
        headers = {"ETag": answer.etag, "Cache-Control": "private, no-cache"}
        if answer.etag in _etags(request.headers.get("If-None-Match", "")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(answer, headers=headers)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


class AttributesSerializer(serializers.Serializer):
    country = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    platform = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    app_version = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    custom = serializers.JSONField(required=False, default=dict, help_text="A JSON object, at most 2 KiB as JSON.")


class AttributesApi(APIView):
    """What my client says about itself, read by the flags' rules with what the server knows."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=AttributesSerializer, responses={200: AttributesSerializer}, tags=TAGS)
    def put(self, request):
        data = AttributesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attributes = services.attributes_set(user=request.user, **data.validated_data)
        return Response(_attributes_payload(attributes))

    @extend_schema(responses={200: AttributesSerializer}, tags=TAGS)
    def get(self, request):
        attributes = selectors.attributes_of(user_id=request.user.pk) or PlayerAttributes(user=request.user)
        return Response(_attributes_payload(attributes))


def _attributes_payload(attributes: PlayerAttributes) -> dict:
    return {
        "country": attributes.country,
        "platform": attributes.platform,
        "app_version": attributes.app_version,
        "custom": attributes.custom,
    }


# --- staff --------------------------------------------------------------------------------


class FlagSerializer(serializers.Serializer):
    """A flag in GrowthBook's feature format (``docs/liveops.md``)."""

    name = serializers.CharField(max_length=100, help_text="A slug: letters, digits, `_` and `-`.")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    defaultValue = serializers.JSONField(required=False, allow_null=True, default=None)  # noqa: N815 (GrowthBook's name)
    rules = serializers.JSONField(
        required=False, default=list, help_text="GrowthBook rules: `{condition, force}` or an experiment."
    )


WARNINGS_HELP = (
    "What spoils an experiment: a live event not over that overrides a flag an experiment runs on "
    '(docs/liveops.md, "A live event over an experiment"); empty when nothing does.'
)


class FlagOutput(FlagSerializer):
    updated_at = serializers.DateTimeField()
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True, help_text=WARNINGS_HELP)

    def to_representation(self, flag: Flag) -> dict:
        warnings = self.context.get("warnings")
        if warnings is None:  # one flag: its own read
            warnings = conflicts.flag_warnings([flag])
        return {
            "name": flag.name,
            "description": flag.description,
            "defaultValue": flag.default_value,
            "rules": flag.rules,
            "updated_at": serializers.DateTimeField().to_representation(flag.updated_at),
            "warnings": warnings.get(flag.name, []),
        }


def _flag_or_404(name: str) -> Flag:
    flag = selectors.flag_list().filter(name=name).first()
    if flag is None:
        raise NotFound(f"No flag named {name!r}.", code="flag_not_found")
    return flag


class WarningsOfAPage:
    """A list view whose items' ``warnings`` (``liveops.schedule.conflicts``) are read in one
    query for the page, not one per item: ``warnings_of`` maps the page to ``{key: [warning]}``."""

    warnings_of = None

    def get_serializer(self, *args, **kwargs):
        if kwargs.get("many") and args:
            items = list(args[0])
            context = {**self.get_serializer_context(), "warnings": type(self).warnings_of(items)}
            return self.get_serializer_class()(items, *args[1:], **{**kwargs, "context": context})
        return super().get_serializer(*args, **kwargs)


@extend_schema(tags=STAFF_TAGS)
class FlagListApi(WarningsOfAPage, ListAPIView):
    """The flags (staff: liveops)."""

    permission_classes = [LiveopsStaff]
    serializer_class = FlagOutput
    warnings_of = conflicts.flag_warnings

    def get_queryset(self):
        return selectors.flag_list()

    @extend_schema(request=FlagSerializer, responses={201: FlagOutput}, tags=STAFF_TAGS)
    @error_codes({409: ("flag_exists",)})
    def post(self, request):
        data = FlagSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_create(
            staff=request.user,
            name=data.validated_data["name"],
            description=data.validated_data["description"],
            default_value=data.validated_data["defaultValue"],
            rules=data.validated_data["rules"],
        )
        return Response(FlagOutput(flag).data, status=status.HTTP_201_CREATED)


class FlagApi(APIView):
    """One flag (staff: liveops): read, replace whole, delete."""

    permission_classes = [LiveopsStaff]

    @extend_schema(responses={200: FlagOutput}, tags=STAFF_TAGS)
    @error_codes({404: ("flag_not_found",)})
    def get(self, request, name: str):
        flag = _flag_or_404(name)
        return Response(FlagOutput(flag).data)

    @extend_schema(request=FlagSerializer, responses={200: FlagOutput}, tags=STAFF_TAGS)
    @error_codes({404: ("flag_not_found",), 409: ("flag_exists",)})
    def put(self, request, name: str):
        data = FlagSerializer(data={"name": name, **request.data} if isinstance(request.data, dict) else request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_update(
            staff=request.user,
            name=name,
            new_name=data.validated_data["name"],
            description=data.validated_data["description"],
            default_value=data.validated_data["defaultValue"],
            rules=data.validated_data["rules"],
        )
        return Response(FlagOutput(flag).data)

    @extend_schema(responses={204: None}, tags=STAFF_TAGS)
    @error_codes({404: ("flag_not_found",)})
    def delete(self, request, name: str):
        services.flag_delete(staff=request.user, name=name)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChangeOutput(serializers.Serializer):
    """One change of a flag's or a live event's history, from the audit log."""

    audit_id = serializers.IntegerField(help_text="The audit entry: what a rollback names.")
    at = serializers.DateTimeField()
    staff = serializers.CharField(help_text="Who made it (`system`: a command or a timer).")
    action = serializers.CharField(help_text="`flag.create`, `flag.update`, `flag.rollback`, ...")
    before = serializers.JSONField(allow_null=True, help_text="The state before (null for a creation).")
    after = serializers.JSONField(allow_null=True, help_text="The state it left (null for a deletion).")

    def to_representation(self, change: selectors.Change) -> dict:
        return super().to_representation(change._asdict())


class FlagHistoryApi(APIView):
    """A flag's changes, newest first (staff: liveops): who, when, before and after."""

    permission_classes = [LiveopsStaff]

    @extend_schema(responses={200: ChangeOutput(many=True)}, tags=STAFF_TAGS)
    @error_codes({404: ("flag_not_found",)})
    def get(self, request, name: str):
        flag = _flag_or_404(name)
        changes = selectors.change_history(target_type=services.FLAG_TARGET, target_id=flag.pk)
        return Response(ChangeOutput(changes, many=True).data)


class FlagRollbackInput(serializers.Serializer):
    audit_id = serializers.IntegerField(
        min_value=1, help_text="The audit entry of the change whose version to put back (the flag's history)."
    )


class FlagRollbackApi(APIView):
    """Roll a flag back to the ``defaultValue`` and ``rules`` a change of its history left (staff:
    liveops): a new change, audited as ``flag.rollback``, pushed to players as any change is."""

    permission_classes = [LiveopsStaff]

    @extend_schema(request=FlagRollbackInput, responses={200: FlagOutput}, tags=STAFF_TAGS)
    @error_codes({404: ("flag_not_found", "version_not_found")})
    def post(self, request, name: str):
        data = FlagRollbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_rollback(staff=request.user, name=name, audit_id=data.validated_data["audit_id"])
        return Response(FlagOutput(flag).data)

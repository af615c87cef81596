"""The staff API of the audit log: thin; the reads are in ``staff.selectors``."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework.generics import ListAPIView

from gameplatform.http import serializers
from gameplatform.http.schema import error_codes
from staff import selectors
from staff.permissions import role_required
from staff.roles import MODERATOR, SUPPORT


class AuditStaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(help_text="The name when the entry was written (the user may be gone since)")


class AuditTargetSerializer(serializers.Serializer):
    type = serializers.CharField(source="target_type", help_text='"user", "game", "flag", ...')
    id = serializers.CharField(source="target_id")
    name = serializers.CharField(source="target", help_text="The target, for people")


class AuditListApi(ListAPIView):
    """Every staff action, newest first (moderators, support, admins)."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        staff = serializers.SerializerMethodField()
        action = serializers.CharField(help_text='What was done: "sanction.mute", "admin.change", ...')
        target = AuditTargetSerializer(source="*")
        detail = serializers.JSONField()
        at = serializers.DateTimeField()

        @extend_schema_field(AuditStaffSerializer(allow_null=True))
        def get_staff(self, entry) -> dict | None:
            if entry.staff_id is None:
                return None  # the system
            return {"id": entry.staff_id, "username": entry.staff_name}

    serializer_class = OutputSerializer
    permission_classes = [role_required(MODERATOR, SUPPORT)]

    def get_queryset(self):
        params = self.request.query_params
        return selectors.audit_entries(
            action=params.get("action", ""),
            target_type=params.get("target_type", ""),
            target_id=params.get("target_id", ""),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("action", str, description='Only entries of this action ("sanction.mute")'),
            OpenApiParameter("target_type", str, description='Only entries about this kind of target ("user")'),
            OpenApiParameter("target_id", str, description="Only entries about the target of this id"),
        ],
        tags=["moderation"],
        description="The audit log, newest first: nothing in it is ever changed or deleted (the database "
        "refuses it). Staff with the role moderator or support (or admin, or a superuser).",
    )
    @error_codes({403: ("permission_denied",)})
    def get(self, request, *args, **kwargs):
        """Read the audit log, newest first."""
        return super().get(request, *args, **kwargs)

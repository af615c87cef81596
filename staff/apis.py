"""The staff API of the audit log: thin; the reads are in ``staff.selectors``."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework.generics import ListAPIView

from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from staff import selectors
from staff.permissions import role_required
from staff.roles import MODERATOR, SUPPORT


class AuditStaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(help_text="The name when the entry was written (the user may be gone since)")


class AuditTargetSerializer(serializers.Serializer):
    type = serializers.CharField(source="target_type", help_text='"user", "game", "flag", ...')
    id = serializers.CharField(source="target_id")
    name = serializers.SerializerMethodField(
        help_text="The target, for people: a player's name while their account exists (the log keeps "
        "none of theirs), a flag's or a word's as written; empty for a target named by its id only"
    )

    def get_name(self, entry) -> str:
        if entry.target_type == "user":
            return self.context.get("user_names", {}).get(entry.target_id, "")
        return entry.target


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

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        names = selectors.user_names([entry.target_id for entry in page if entry.target_type == "user"])
        context = {**self.get_serializer_context(), "user_names": names}
        return self.get_paginated_response(self.get_serializer(page, many=True, context=context).data)

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

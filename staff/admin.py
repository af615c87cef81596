"""The audit log in the admin: read only for everyone, superusers included (the database would
refuse a change or a deletion anyway, ``staff/models.py``)."""

from django.contrib import admin

from gameplatform.backoffice import ReadOnlyAdmin
from staff.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "staff_name", "action", "target_type", "target_id", "target"]
    list_filter = ["action", "target_type", "at"]
    search_fields = ["staff_name", "target", "=target_id"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    fields = ["at", "staff_id", "staff_name", "action", "target_type", "target_id", "target", "detail"]
    readonly_fields = fields

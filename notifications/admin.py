from django.contrib import admin

from gameplatform.backoffice import AuditedAdmin
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(AuditedAdmin):
    list_display = ["id", "user", "kind", "created_at", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "kind"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"

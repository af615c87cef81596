from django.contrib import admin

from matchmaking.queue.models import QueueEntry


@admin.register(QueueEntry)
class QueueEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "mode", "rating", "joined_at"]
    list_filter = ["mode"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]
    ordering = ["joined_at", "id"]

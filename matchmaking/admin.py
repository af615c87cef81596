from django.contrib import admin

from gameplatform.backoffice import AuditedAdmin
from matchmaking.models import Invite, QueueEntry


@admin.register(QueueEntry)
class QueueEntryAdmin(AuditedAdmin):
    list_display = ["id", "user", "mode", "rating", "joined_at", "seen_at"]
    list_filter = ["mode"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]
    ordering = ["joined_at", "id"]


@admin.register(Invite)
class InviteAdmin(AuditedAdmin):
    list_display = ["id", "from_user", "to_user", "kind", "mode", "lobby_id", "status", "game_id", "expires_at"]
    list_filter = ["status", "kind"]
    search_fields = ["from_user__username", "to_user__username"]
    raw_id_fields = ["from_user", "to_user"]
    list_select_related = ["from_user", "to_user"]
    readonly_fields = ["created_at", "responded_at"]

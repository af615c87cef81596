from django.contrib import admin

from friends.models import Block, FriendRequest, Friendship, LastSeen
from gameplatform.backoffice import AuditedAdmin


@admin.register(FriendRequest)
class FriendRequestAdmin(AuditedAdmin):
    list_display = ["id", "from_user", "to_user", "status", "created_at", "responded_at"]
    list_filter = ["status"]
    search_fields = ["from_user__username", "to_user__username"]
    raw_id_fields = ["from_user", "to_user"]


@admin.register(Friendship)
class FriendshipAdmin(AuditedAdmin):
    """Rows come in pairs: use the services (accept, unfriend) rather than editing one side."""

    list_display = ["id", "user", "friend", "created_at"]
    search_fields = ["user__username", "friend__username"]
    raw_id_fields = ["user", "friend"]


@admin.register(Block)
class BlockAdmin(AuditedAdmin):
    list_display = ["id", "blocker", "blocked", "created_at"]
    search_fields = ["blocker__username", "blocked__username"]
    raw_id_fields = ["blocker", "blocked"]


@admin.register(LastSeen)
class LastSeenAdmin(AuditedAdmin):
    list_display = ["user", "at"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]

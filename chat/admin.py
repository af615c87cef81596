from django.contrib import admin, messages
from django.db.models import Count

from chat.lobbies import services
from chat.models import DirectMessage, Lobby, LobbyBan, LobbyEvent, LobbyMessage, Membership
from gameplatform.admin import AuditedAdmin, MembersInline, ShortContentAdmin


class MembershipInline(MembersInline):
    model = Membership


@admin.register(Lobby)
class LobbyAdmin(AuditedAdmin):
    list_display = ["id", "name", "owner", "is_public", "status", "member_count", "max_participants", "created_at"]
    list_filter = ["status", "is_public"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["participant_count", "game_id", "created_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner").annotate(_member_count=Count("memberships"))

    @admin.display(description="members", ordering="_member_count")
    def member_count(self, obj) -> int:
        return obj._member_count


@admin.register(LobbyMessage)
class LobbyMessageAdmin(ShortContentAdmin):
    list_display = ["id", "lobby", "sender", "short_content", "created_at"]
    list_filter = ["lobby__status"]
    search_fields = ["content", "sender__username", "lobby__name"]
    list_select_related = ["lobby", "sender"]
    raw_id_fields = ["lobby", "sender"]
    actions = ["delete_and_announce"]

    def get_actions(self, request, action_location=None):
        # Every deletion goes through the service, which tells the lobby (``message_deleted``).
        # Django 6.1 passes where the actions are shown (``action_location``) and warns about an
        # override without it; Django 5.2 knows no such argument.
        where = {} if action_location is None else {"action_location": action_location}
        actions = super().get_actions(request, **where)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete the selected messages (the lobby is told)", permissions=["delete"])
    def delete_and_announce(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        for message_id in ids:
            services.message_delete(message_id=message_id, actor=request.user)
        self.message_user(request, f"Deleted {len(ids)} message(s).", messages.SUCCESS)

    def delete_model(self, request, obj) -> None:
        services.message_delete(message_id=obj.pk, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for message_id in list(queryset.values_list("pk", flat=True)):
            services.message_delete(message_id=message_id, actor=request.user)


@admin.register(LobbyBan)
class LobbyBanAdmin(AuditedAdmin):
    list_display = ["id", "lobby", "user", "banned_by", "reason", "created_at"]
    search_fields = ["user__username", "lobby__name", "reason"]
    list_select_related = ["lobby", "user", "banned_by"]
    raw_id_fields = ["lobby", "user", "banned_by"]


@admin.register(LobbyEvent)
class LobbyEventAdmin(AuditedAdmin):
    """The moderation log: read only."""

    list_display = ["id", "created_at", "lobby", "kind", "actor", "target", "reason"]
    list_filter = ["kind"]
    search_fields = ["lobby__name", "actor__username", "target__username", "reason"]
    list_select_related = ["lobby", "actor", "target"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DirectMessage)
class DirectMessageAdmin(AuditedAdmin):
    list_display = ["id", "sender", "recipient", "short_content", "created_at", "read_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["sender__username", "recipient__username", "content"]
    raw_id_fields = ["sender", "recipient"]
    date_hierarchy = "created_at"
    list_select_related = ["sender", "recipient"]

    @admin.display(description="content")
    def short_content(self, obj: DirectMessage) -> str:
        return obj.content[:80]

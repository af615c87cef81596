from django.contrib import admin, messages
from django.db.models import Count

from chat.lobbies import services
from chat.models import DirectMessage, Lobby, LobbyBan, LobbyEvent, LobbyMessage, Membership
from gameplatform.backoffice import AuditedAdmin, ReadOnlyAdmin
from gameplatform.chat.admin import MembersInline, ShortContentAdmin
from gameplatform.core.errors import ApplicationError
from staff.permissions import has_role
from staff.roles import MODERATOR


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

    def has_delete_permission(self, request, obj=None) -> bool:
        # The service deletes another's lobby message for staff in the role ``moderator`` only:
        # the page offers no delete the service would refuse.
        return has_role(request, MODERATOR) and super().has_delete_permission(request, obj)

    @admin.action(description="Delete the selected messages (the lobby is told)", permissions=["delete"])
    def delete_and_announce(self, request, queryset):
        deleted = self._delete_each(request, queryset)
        self.message_user(request, f"Deleted {deleted} message(s).", messages.SUCCESS)

    def _delete_each(self, request, queryset) -> int:
        """Each message through the service; one another staff member deleted meanwhile is said, not a 500."""
        deleted = 0
        for message_id in list(queryset.values_list("pk", flat=True)):
            try:
                services.message_delete(message_id=message_id, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"Message {message_id} not deleted: {exc.message}", messages.ERROR)
            else:
                deleted += 1
        return deleted

    def delete_model(self, request, obj) -> None:
        self._delete_each(request, LobbyMessage.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        self._delete_each(request, queryset)


@admin.register(LobbyBan)
class LobbyBanAdmin(AuditedAdmin):
    list_display = ["id", "lobby", "user", "banned_by", "reason", "created_at"]
    search_fields = ["user__username", "lobby__name", "reason"]
    list_select_related = ["lobby", "user", "banned_by"]
    raw_id_fields = ["lobby", "user", "banned_by"]


@admin.register(LobbyEvent)
class LobbyEventAdmin(ReadOnlyAdmin):
    """The moderation log: read only."""

    list_display = ["id", "created_at", "lobby", "kind", "actor", "target", "reason"]
    list_filter = ["kind"]
    search_fields = ["lobby__name", "actor__username", "target__username", "reason"]
    list_select_related = ["lobby", "actor", "target"]
    date_hierarchy = "created_at"


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

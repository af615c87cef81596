"""Admin pieces that rooms with members and messages share (lobbies, player groups); nothing registered here."""

from django.contrib import admin


class MembersInline(admin.TabularInline):
    """A room's members, shown read only: seats are taken and given up through the services
    (the size limit, the count, the broadcasts), never here. Subclasses name the ``model``."""

    extra = 0
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["user", "role", "joined_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ShortContentAdmin(admin.ModelAdmin):
    """A message list showing each message's text cut to 80 characters (with an ellipsis)."""

    @admin.display(description="content")
    def short_content(self, obj) -> str:
        return obj.content if len(obj.content) <= 80 else obj.content[:79] + "…"

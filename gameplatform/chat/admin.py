"""The admin's pieces of rooms with members and messages (lobbies, player groups): their members
read only, their messages' text cut short. Nothing registered here."""

from django.contrib import admin

from gameplatform.backoffice import (  # noqa: F401 - all but AuditedAdmin and ReadOnlyInline: read here until 2.0
    AuditedAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceWrittenAdmin,
    admin_changed,
    refusal_as_form_error,
)


class MembersInline(ReadOnlyInline):
    """A room's members: seats are taken and given up through the services (the size limit, the
    count, the broadcasts), never here. Subclasses name the ``model``."""

    fields = ["user", "role", "joined_at"]
    readonly_fields = ["user", "role", "joined_at"]


class ShortContentAdmin(AuditedAdmin):
    """A message list showing each message's text cut to 80 characters (with an ellipsis)."""

    @admin.display(description="content")
    def short_content(self, obj) -> str:
        return obj.content if len(obj.content) <= 80 else obj.content[:79] + "…"

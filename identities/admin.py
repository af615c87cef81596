from django.contrib import admin

from gameplatform.backoffice import AuditedAdmin
from identities.models import Identity


@admin.register(Identity)
class IdentityAdmin(AuditedAdmin):
    """Each user's ways in through providers. Read-only: a user links and unlinks their own
    (the rules of ``identities.services``); deleting a row here unlinks it without them."""

    list_display = ["id", "provider", "subject", "user", "email", "linked_at"]
    list_filter = ["provider"]
    search_fields = ["subject", "email", "user__username"]
    readonly_fields = ["user", "provider", "subject", "email", "linked_at"]

    def has_add_permission(self, request):
        return False

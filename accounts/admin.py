from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts import services
from accounts.models import AccountDevice, GuestDevice, Mail, User
from gameplatform.backoffice import AuditedAdmin


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = [
        "id",
        "username",
        "email",
        "display_name",
        "is_premium",
        "premium_until",
        "is_guest",
        "is_active",
        "date_joined",
    ]
    list_filter = ["is_premium", "is_guest", "is_active", "is_staff"]
    search_fields = ["username", "email", "display_name"]
    list_editable = ["is_premium"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("Game", {"fields": ["display_name", "is_premium", "premium_until", "is_guest"]}),
    )
    actions = ["grant_premium", "grant_premium_30_days", "revoke_premium"]
    # Who may do what in the staff: only a superuser gives or takes it (support, who may change
    # users, could otherwise tick is_superuser on their own page).
    PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [field for field in self.PRIVILEGE_FIELDS if field not in fields]
        return fields

    @admin.action(description="Grant premium")
    def grant_premium(self, request, queryset):
        self._set_premium(request, queryset, is_premium=True)

    @admin.action(description="Grant 30 days of premium")
    def grant_premium_30_days(self, request, queryset):
        self._set_premium(request, queryset, is_premium=True, days=30)

    @admin.action(description="Revoke premium")
    def revoke_premium(self, request, queryset):
        self._set_premium(request, queryset, is_premium=False)

    def _set_premium(self, request, queryset, *, is_premium: bool, days: int | None = None) -> None:
        users = list(queryset)
        for user in users:
            services.user_set_premium(user=user, is_premium=is_premium, days=days)
        done = "Granted premium to" if is_premium else "Revoked premium from"
        self.message_user(request, f"{done} {len(users)} user{'' if len(users) == 1 else 's'}.")

    # A deleted user goes through the service, so the apps whose rows cascade with it react first.
    def delete_model(self, request, obj) -> None:
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            services.user_delete(user=user)


@admin.register(GuestDevice)
class GuestDeviceAdmin(AuditedAdmin):
    """Devices guests log in with: only the SHA-256 of each id is stored, so none can be read back."""

    list_display = ["id", "user", "device_hash", "created_at"]
    search_fields = ["user__username", "device_hash"]
    raw_id_fields = ["user"]
    readonly_fields = ["device_hash", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # a device is registered by logging in with it


@admin.register(AccountDevice)
class AccountDeviceAdmin(AuditedAdmin):
    """Devices accounts signed in from (a login, a registration, a provider's token that named one):
    the SHA-256 of each id. While an account is suspended or banned, none of them makes a guest."""

    list_display = ["id", "user", "device_hash", "first_seen_at", "last_seen_at"]
    search_fields = ["user__username", "device_hash"]
    raw_id_fields = ["user"]
    readonly_fields = ["device_hash", "first_seen_at", "last_seen_at"]

    def has_add_permission(self, request) -> bool:
        return False  # a device is noted by signing in from it


@admin.register(Mail)
class MailAdmin(AuditedAdmin):
    """The mails owed and sent (the outbox, ``accounts.mail``): what, to whom, how it went. Read
    only: the platform writes them, and a mail holds no link (it is made when sent)."""

    list_display = ["id", "kind", "user", "status", "attempts", "created_at", "sent_at", "last_error"]
    list_filter = ["kind", "status"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

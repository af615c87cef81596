"""Flags are changed through the staff API (validated, versioned, audited and pushed); the admin
shows them, the players' attributes and the exposures read only."""

from django.contrib import admin

from liveops.models import Exposure, Flag, PlayerAttributes


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ("name", "description", "updated_at")
    search_fields = ("name",)


@admin.register(PlayerAttributes)
class PlayerAttributesAdmin(ReadOnlyAdmin):
    list_display = ("user", "country", "platform", "app_version", "updated_at")
    search_fields = ("user__username",)


@admin.register(Exposure)
class ExposureAdmin(ReadOnlyAdmin):
    list_display = ("key", "variation", "user", "first_at")
    list_filter = ("key",)

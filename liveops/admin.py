"""Flags are changed through the staff API (validated, versioned, audited and pushed); the admin
shows them, the players' attributes and the exposures read only."""

from django.contrib import admin

from gameplatform.admin import ReadOnlyAdmin
from liveops.models import Exposure, Flag, PlayerAttributes


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

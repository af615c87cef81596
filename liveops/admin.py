"""Flags and inbox messages are made through the staff API (validated, versioned or delivered,
audited and pushed); the admin shows them, the players' attributes, the exposures, the inbox
entries, the analytics events and their daily roll-up read only."""

from django.contrib import admin

from gameplatform.admin import ReadOnlyAdmin
from liveops.models import AnalyticsDay, AnalyticsEvent, Exposure, Flag, InboxEntry, Message, PlayerAttributes


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


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("title", "send_at", "sent_at", "created_by")
    search_fields = ("title",)


@admin.register(InboxEntry)
class InboxEntryAdmin(ReadOnlyAdmin):
    list_display = ("message", "user", "created_at", "read_at")
    search_fields = ("user__username",)


@admin.register(AnalyticsEvent)
class AnalyticsEventAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "timestamp", "value", "received_at")
    list_filter = ("name",)
    search_fields = ("user__username",)


@admin.register(AnalyticsDay)
class AnalyticsDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "name", "user", "count", "value_sum", "last_at")
    search_fields = ("user__username",)

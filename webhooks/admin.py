"""The delivery log: every webhook sent, its attempts and the receiver's last answer; staff resend
a delivery (``services.delivery_resend``, audited)."""

from django.contrib import admin, messages

from webhooks.models import Delivery
from webhooks.services import delivery_resend


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event_id", "event_type", "url", "status", "attempts", "last_status", "last_error",
                    "last_attempt_at", "delivered_at", "next_attempt_at")  # fmt: skip
    list_filter = ("status", "event__type")
    search_fields = ("url", "event__id")
    list_select_related = ("event",)
    readonly_fields = [field.name for field in Delivery._meta.fields] + ["body"]
    actions = ["resend"]

    @admin.display(description="type")
    def event_type(self, delivery: Delivery) -> str:
        return delivery.event.type

    @admin.display(description="body")
    def body(self, delivery: Delivery) -> str:
        return delivery.event.body

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Resend the selected deliveries now")
    def resend(self, request, queryset) -> None:
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            delivery_resend(staff=request.user, delivery_id=pk)
        self.message_user(request, f"{queryset.count()} delivery(ies) will be sent again.", messages.SUCCESS)

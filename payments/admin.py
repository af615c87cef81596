"""Products are edited here; purchases, store events and payments are records, read only (a
purchase changes only through the webhook's services). Each user's page lists their purchases."""

from django.contrib import admin
from django.db.models import Exists, OuterRef

from accounts.admin import UserAdmin
from accounts.models import User
from gameplatform.backoffice import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline
from payments.models import Entitlement, Product, Purchase, RefundRequest, StoreEvent, StorePayment, Subscription


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = [
        "id", "name", "kind", "price", "currency", "premium_days", "gems", "item", "period", "entitlement", "is_active"
    ]  # fmt: skip
    list_filter = ["kind", "is_active"]
    search_fields = ["id", "name"]
    autocomplete_fields = ["item"]


class YesFilter(admin.SimpleListFilter):
    """A filter of one choice, "yes" (labelled ``yes``): ``matching`` narrows the list to it."""

    yes: str

    def lookups(self, request, model_admin):
        return [("yes", self.yes)]

    def queryset(self, request, queryset):
        return self.matching(queryset) if self.value() == "yes" else queryset

    def matching(self, queryset):
        raise NotImplementedError


class UnrecoveredFilter(YesFilter):
    title = "gems not recovered"
    parameter_name = "unrecovered"
    yes = "refunded after the gems were spent"

    def matching(self, queryset):
        return queryset.filter(unrecovered_gems__gt=0)


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "user", "product", "store", "status", "amount", "currency", "unrecovered_gems", "created_at"
    ]  # fmt: skip
    list_filter = ["status", "store", UnrecoveredFilter]
    search_fields = ["user__username", "store_transaction_id", "store_payment_id"]
    list_select_related = ["user", "product"]


@admin.register(StoreEvent)
class StoreEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "store", "event_id", "type", "outcome", "purchase", "received_at"]
    list_filter = ["store", "type", "outcome"]
    search_fields = ["event_id"]


class WaitingFilter(YesFilter):
    title = "reversal without a purchase"
    parameter_name = "waiting"
    yes = "refunded or disputed, no purchase recorded"

    def matching(self, queryset):
        purchases = Purchase.objects.filter(store=OuterRef("store"), store_payment_id=OuterRef("payment_id"))
        return queryset.exclude(reversal="").filter(~Exists(purchases))


@admin.register(StorePayment)
class StorePaymentAdmin(ReadOnlyAdmin):
    """A refund or lost dispute that came before its purchase waits here (no purchase recorded);
    so does one of a payment this server never sold (another integration on the account)."""

    list_display = ["id", "store", "payment_id", "reversal", "reversed_at", "created_at"]
    list_filter = ["store", "reversal", WaitingFilter]
    search_fields = ["payment_id"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """A subscription changes only through its store's events (and the player's cancel)."""

    list_display = [
        "id", "user", "product", "store", "status", "current_period_end", "grace_until", "will_renew", "updated_at"
    ]  # fmt: skip
    list_filter = ["store", "status", "will_renew"]
    search_fields = ["user__username", "store_subscription_id", "store_customer_id"]
    list_select_related = ["user", "product"]


@admin.register(Entitlement)
class EntitlementAdmin(ReadOnlyAdmin):
    """What each user holds, and from which source: one-time grants, subscriptions."""

    list_display = ["id", "user", "name", "granted_until", "subscribed_until", "updated_at"]
    list_filter = ["name"]
    search_fields = ["user__username"]
    list_select_related = ["user"]


@admin.register(RefundRequest)
class RefundRequestAdmin(ReadOnlyAdmin):
    """A store's refund request (the App Store's CONSUMPTION_REQUEST), what was sent, when, and
    what the store answered; only the notification and the timer change it."""

    list_display = [
        "id", "store", "request_id", "purchase", "customer_reason", "status", "consumption", "store_status",
        "attempts", "received_at", "deadline", "sent_at",
    ]  # fmt: skip
    list_filter = ["store", "status", "customer_reason"]
    search_fields = ["request_id", "transaction_id", "purchase__user__username"]
    list_select_related = ["purchase__product"]

    @admin.display(description="consumed")
    def consumption(self, obj: RefundRequest) -> str:
        share = obj.body.get("consumptionPercentage") if isinstance(obj.body, dict) else None
        return "-" if share is None else f"{share / 1000:g}%"


class PurchaseInline(ReadOnlyInline):
    model = Purchase
    fk_name = "user"
    fields = [
        "product",
        "store",
        "store_transaction_id",
        "status",
        "amount",
        "currency",
        "unrecovered_gems",
        "created_at",
    ]
    readonly_fields = fields


class UserWithPurchasesAdmin(UserAdmin):
    """The accounts app's user admin, with the user's purchases below (accounts knows no payments)."""

    inlines = [*UserAdmin.inlines, PurchaseInline]


admin.site.unregister(User)
admin.site.register(User, UserWithPurchasesAdmin)

from django.contrib import admin, messages

from gameplatform.backoffice import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline, ServiceWrittenAdmin
from progression import services
from progression.models import (
    Battle,
    BattleParticipant,
    BoxOutcome,
    EnemyTemplate,
    InventoryItem,
    ItemTemplate,
    LedgerEntry,
    LootEntry,
    Pet,
    PetSpecies,
    Player,
    Purchase,
    ShopItem,
)


@admin.register(ItemTemplate)
class ItemTemplateAdmin(AuditedAdmin):
    list_display = ["id", "name", "slot", "rarity", "strength", "agility", "intelligence", "vitality"]
    list_filter = ["slot", "rarity"]
    search_fields = ["name"]


@admin.register(PetSpecies)
class PetSpeciesAdmin(AuditedAdmin):
    list_display = ["id", "name", "rarity", "base_power"]
    list_filter = ["rarity"]
    search_fields = ["name"]


class LootEntryInline(admin.TabularInline):
    model = LootEntry
    extra = 1
    autocomplete_fields = ["item", "egg_species"]


@admin.register(EnemyTemplate)
class EnemyTemplateAdmin(AuditedAdmin):
    list_display = ["id", "name", "level", "max_hp", "stamina_cost", "xp_reward", "max_participants"]
    search_fields = ["name"]
    inlines = [LootEntryInline]
    actions = ["open_battle"]

    @admin.action(description="Open a new battle against each selected enemy")
    def open_battle(self, request, queryset):
        for enemy in queryset:
            services.battle_create(enemy=enemy)
        self.message_user(request, f"Opened {queryset.count()} battle(s).", messages.SUCCESS)


class BoxOutcomeInline(admin.TabularInline):
    """A random box's outcomes: the odds the shop serves are each weight over their total."""

    model = BoxOutcome
    fields = ["item", "quantity", "weight"]
    autocomplete_fields = ["item"]
    extra = 0


@admin.register(ShopItem)
class ShopItemAdmin(AuditedAdmin):
    inlines = [BoxOutcomeInline]
    list_display = ["id", "__str__", "price_gold", "price_gems", "stock", "is_active", "sort_order"]
    list_filter = ["is_active"]
    list_editable = ["price_gold", "price_gems", "stock", "is_active", "sort_order"]
    list_select_related = ["item", "egg_species"]
    autocomplete_fields = ["item", "egg_species"]


class ParticipantInline(ReadOnlyInline):
    model = BattleParticipant
    fields = ["player", "damage_dealt", "attacks", "last_attack_at", "xp_awarded", "loot_claimed_at", "loot"]
    readonly_fields = fields


@admin.register(Battle)
class BattleAdmin(AuditedAdmin):
    list_display = ["id", "enemy", "status", "hp", "max_hp", "stamina_cost", "created_at", "defeated_at"]
    list_filter = ["status", "enemy"]
    list_select_related = ["enemy"]
    fields = ["enemy", "status", "hp", "max_hp", "stamina_cost", "max_participants", "created_at", "defeated_at"]
    readonly_fields = ["enemy", "status", "hp", "max_hp", "stamina_cost", "created_at", "defeated_at"]
    inlines = [ParticipantInline]

    def has_add_permission(self, request):
        return False  # battles are opened from an enemy (action) or by the timer


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ["created_at", "currency", "amount", "balance_after", "reason", "reference"]
    readonly_fields = fields
    ordering = ["-id"]
    max_num = 0


class InventoryInline(ReadOnlyInline):
    model = InventoryItem
    fields = ["template", "quantity", "equipped"]
    readonly_fields = fields


class PetInline(ReadOnlyInline):
    model = Pet
    fields = ["species", "level", "xp", "equipped"]
    readonly_fields = fields


@admin.register(Player)
class PlayerAdmin(AuditedAdmin):
    """Balances are read-only here: they change only through services, which write the ledger."""

    list_display = ["user", "level", "xp", "gold", "gems", "stamina", "max_stamina"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "gold", "gems", "stamina", "max_stamina", "stamina_updated_at", "created_at"]
    fields = [
        "user",
        "level",
        "xp",
        "stat_points",
        "strength",
        "agility",
        "intelligence",
        "vitality",
        *readonly_fields[1:],
    ]
    inlines = [InventoryInline, PetInline, LedgerInline]
    actions = ["grant_100_gold", "grant_10_gems"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Grant 100 gold (written to the ledger)")
    def grant_100_gold(self, request, queryset):
        for player in queryset.select_related("user"):
            services.player_grant(user=player.user, gold=100, reason="admin_grant", reference=request.user.username)

    @admin.action(description="Grant 10 gems (written to the ledger)")
    def grant_10_gems(self, request, queryset):
        for player in queryset.select_related("user"):
            services.player_grant(user=player.user, gems=10, reason="admin_grant", reference=request.user.username)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """Every balance change, for browsing; nothing here can be edited."""

    list_display = ["id", "player", "currency", "amount", "balance_after", "reason", "reference", "created_at"]
    list_filter = ["currency", "reason"]
    search_fields = ["player__user__username", "reference"]
    list_select_related = ["player__user"]


@admin.register(Purchase)
class PurchaseAdmin(ServiceWrittenAdmin):
    list_display = ["id", "player", "shop_item", "quantity", "currency", "total_price", "created_at"]
    list_select_related = ["player__user", "shop_item__item", "shop_item__egg_species"]

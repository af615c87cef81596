from django import forms
from django.contrib import admin

from gameplatform.backoffice import AuditedAdmin, ReadOnlyInline, ServiceWrittenAdmin
from world.models import (
    Character,
    Combat,
    Enemy,
    Faction,
    Location,
    Party,
    PartyMember,
    Shard,
    Trade,
    TradeOffer,
    WorldEvent,
    WorldState,
)
from world.services import NAME_PATTERN, NAME_RULE, character_remove


@admin.register(Faction)
class FactionAdmin(AuditedAdmin):
    list_display = ["id", "name", "home_location"]


@admin.register(Location)
class LocationAdmin(AuditedAdmin):
    list_display = ["id", "name", "contested"]
    list_filter = ["contested"]
    filter_horizontal = ["neighbours"]
    search_fields = ["name"]


@admin.register(Shard)
class ShardAdmin(AuditedAdmin):
    list_display = ["id", "name", "location", "owner_faction", "captured_at"]
    list_select_related = ["location", "owner_faction"]


class CharacterAdminForm(forms.ModelForm):
    """The services' name rule holds here too (whispers and trades find characters by name)."""

    class Meta:
        model = Character
        fields = ["user", "name", "faction", "level", "xp", "health", "max_health", "location", "position", "selected"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if not NAME_PATTERN.match(name):
            raise forms.ValidationError(NAME_RULE)
        return name


@admin.register(Character)
class CharacterAdmin(AuditedAdmin):
    form = CharacterAdminForm
    list_display = ["id", "name", "user", "faction", "level", "health", "max_health", "location", "selected"]
    list_filter = ["faction", "selected"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user"]
    list_select_related = ["user", "faction", "location"]

    # A deleted character goes through the service: it leaves its party first, its socket closes.
    def delete_model(self, request, obj) -> None:
        character_remove(character=obj)

    def delete_queryset(self, request, queryset) -> None:
        for character in queryset:
            character_remove(character=character)


@admin.register(Enemy)
class EnemyAdmin(AuditedAdmin):
    list_display = ["id", "name", "location", "level", "health", "max_health", "respawn_at"]
    list_filter = ["location"]


@admin.register(WorldEvent)
class WorldEventAdmin(AuditedAdmin):
    list_display = ["id", "kind", "created_at"]
    list_filter = ["kind"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorldState)
class WorldStateAdmin(AuditedAdmin):
    list_display = ["current_reality", "changed_at"]


class PartyMemberInline(ReadOnlyInline):
    model = PartyMember
    readonly_fields = ["character", "joined_at"]


@admin.register(Party)
class PartyAdmin(ServiceWrittenAdmin):
    """Parties change through ``world.parties.services`` only (the leader a member, ``member_count`` equal to
    the members under the party's lock, every member told): read only here."""

    list_display = ["id", "leader", "member_count", "created_at"]
    list_select_related = ["leader"]
    inlines = [PartyMemberInline]


@admin.register(Combat)
class CombatAdmin(ServiceWrittenAdmin):
    list_display = ["id", "kind", "status", "location", "attacker", "defender", "enemy", "winner", "started_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["attacker", "defender", "enemy"]
    list_select_related = ["location", "attacker", "defender", "enemy"]


class TradeOfferInline(ReadOnlyInline):
    model = TradeOffer
    readonly_fields = ["character", "items", "gold", "confirmed"]


@admin.register(Trade)
class TradeAdmin(ServiceWrittenAdmin):
    """Trades move items and gold through the world's services only: read only here."""

    list_display = ["id", "from_character", "to_character", "status", "created_at", "completed_at"]
    list_filter = ["status"]
    list_select_related = ["from_character", "to_character"]
    inlines = [TradeOfferInline]

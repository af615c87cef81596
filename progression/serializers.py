"""Output shapes shared by several progression endpoints and the battle socket."""

from drf_spectacular.utils import extend_schema_field

from gameplatform.http import serializers
from progression import selectors
from progression.models import (
    Battle,
    Egg,
    EnemyTemplate,
    InventoryItem,
    ItemTemplate,
    LedgerEntry,
    Pet,
    PetSpecies,
    Purchase,
    ShopItem,
)


class StatsSerializer(serializers.Serializer):
    strength = serializers.IntegerField()
    agility = serializers.IntegerField()
    intelligence = serializers.IntegerField()
    vitality = serializers.IntegerField()


class PlayerProfileSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    xp = serializers.IntegerField()
    xp_to_next_level = serializers.IntegerField()
    stat_points = serializers.IntegerField()
    stats = StatsSerializer(help_text="Base stats (allocated points).")
    equipped_stats = StatsSerializer(help_text="Base stats plus equipped item bonuses.")
    gold = serializers.IntegerField()
    gems = serializers.IntegerField()
    stamina = serializers.IntegerField()
    max_stamina = serializers.IntegerField()
    stamina_updated_at = serializers.DateTimeField()
    power = serializers.IntegerField()
    damage_range = serializers.ListField(child=serializers.IntegerField(), help_text="[lowest, highest] damage.")


class LedgerEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "currency", "amount", "balance_after", "reason", "reference", "created_at"]
        read_only_fields = fields


class ItemTemplateSerializer(serializers.ModelSerializer):
    stats = StatsSerializer()

    class Meta:
        model = ItemTemplate
        fields = ["id", "name", "slot", "rarity", "stats", "description"]
        read_only_fields = fields


class InventoryItemSerializer(serializers.ModelSerializer):
    item = ItemTemplateSerializer(source="template")

    class Meta:
        model = InventoryItem
        fields = ["id", "item", "quantity", "equipped"]
        read_only_fields = fields


class PetSpeciesSerializer(serializers.ModelSerializer):
    class Meta:
        model = PetSpecies
        fields = ["id", "name", "rarity", "base_power"]
        read_only_fields = fields


class PetSerializer(serializers.ModelSerializer):
    species = PetSpeciesSerializer()
    xp_to_next_level = serializers.SerializerMethodField()
    power = serializers.SerializerMethodField()

    class Meta:
        model = Pet
        fields = ["id", "species", "level", "xp", "xp_to_next_level", "power", "equipped", "hatched_at"]
        read_only_fields = fields

    def get_xp_to_next_level(self, pet) -> int:
        from progression.rules import pet_xp_to_next_level

        return pet_xp_to_next_level(pet.level)

    def get_power(self, pet) -> int:
        from progression.rules import pet_power

        return pet_power(base_power=pet.species.base_power, level=pet.level)


class EggSerializer(serializers.ModelSerializer):
    species = PetSpeciesSerializer()

    class Meta:
        model = Egg
        fields = ["id", "species", "source", "acquired_at"]
        read_only_fields = fields
        extra_kwargs = {"source": {"help_text": "`shop`, `loot` or `demo`."}}


class MoneySerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="In the currency's minor unit (cents): 499 is 4.99.")
    currency = serializers.CharField(help_text="ISO 4217, lower case.")


class OddsSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    probability = serializers.FloatField(help_text="0 to 1; a box's probabilities sum to 1.")


class GemOfferSerializer(serializers.Serializer):
    product_id = serializers.CharField(help_text="The gem pack (``POST /api/payments/checkout/``'s product_id).")
    gems = serializers.IntegerField(help_text="Gems in one pack.")
    packs_needed = serializers.IntegerField()
    missing = serializers.IntegerField(help_text="Gems the player lacks for one unit of the item.")
    leftover = serializers.IntegerField(help_text="Gems left over after buying the packs and the item.")
    price = MoneySerializer(help_text="What the packs cost.")


class ShopItemSerializer(serializers.ModelSerializer):
    """A shop entry with the disclosures consumer law asks for (docs/payments.md, "The shop and the law").

    The list view puts ``gem_packs`` (cheapest per gem first) and ``gems`` (the player's balance) in
    the context; without them (a purchase's answer) the real price is computed alone and no offer made."""

    kind = serializers.CharField(help_text="`item`, `egg` or `box` (a random box: see `odds`).")
    item = ItemTemplateSerializer(allow_null=True, help_text="The item sold (null for an egg or a box).")
    egg = PetSpeciesSerializer(source="egg_species", allow_null=True, help_text="What the egg hatches into.")
    real_price = serializers.SerializerMethodField(
        help_text="A gem price in money at the cheapest gem pack; null when not priced in gems or no pack is sold."
    )
    gem_offer = serializers.SerializerMethodField(
        help_text="The gem pack to buy when the player lacks gems for this item (null otherwise)."
    )
    odds = serializers.SerializerMethodField(help_text="A box's outcomes and probabilities; null for others.")

    class Meta:
        model = ShopItem
        fields = [
            "id",
            "kind",
            "name",
            "item",
            "egg",
            "price_gold",
            "price_gems",
            "real_price",
            "gem_offer",
            "odds",
            "stock",
        ]
        read_only_fields = fields
        extra_kwargs = {"stock": {"help_text": "Null: unlimited."}}

    def _packs(self) -> list:
        if "gem_packs" not in self.context:
            self.context["gem_packs"] = selectors.gem_packs_by_value()
        return self.context["gem_packs"]

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_real_price(self, obj: ShopItem) -> dict | None:
        if obj.price_gems is None:
            return None
        return selectors.real_price(gems=obj.price_gems, packs=self._packs())

    @extend_schema_field(GemOfferSerializer(allow_null=True))
    def get_gem_offer(self, obj: ShopItem) -> dict | None:
        if obj.price_gems is None or "gems" not in self.context:
            return None
        return selectors.gem_offer(price_gems=obj.price_gems, balance=self.context["gems"], packs=self._packs())

    @extend_schema_field(OddsSerializer(many=True, allow_null=True))
    def get_odds(self, obj: ShopItem) -> list | None:
        return selectors.box_odds(shop_item=obj)


class PurchaseSerializer(serializers.ModelSerializer):
    shop_item = ShopItemSerializer()

    class Meta:
        model = Purchase
        fields = ["id", "shop_item", "quantity", "currency", "total_price", "outcomes", "created_at"]
        read_only_fields = fields

    outcomes = serializers.SerializerMethodField(help_text="A random box's draws, one per unit; empty for others.")

    def get_outcomes(self, obj: Purchase) -> list[str]:
        if not obj.shop_item.box_name:
            return []  # not a box: no draws to read
        return [draw.outcome.label for draw in obj.draws.select_related("outcome__item")]


class EnemySerializer(serializers.ModelSerializer):
    class Meta:
        model = EnemyTemplate
        fields = ["id", "name", "level", "max_hp", "xp_reward"]
        read_only_fields = fields


class ParticipantSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(source="player_id")
    username = serializers.CharField(source="player.user.username")
    damage = serializers.IntegerField(source="damage_dealt")


class BattleSerializer(serializers.ModelSerializer):
    enemy = EnemySerializer()
    participants = ParticipantSerializer(many=True)
    participant_count = serializers.SerializerMethodField()

    class Meta:
        model = Battle
        fields = [
            "id",
            "enemy",
            "status",
            "hp",
            "max_hp",
            "stamina_cost",
            "max_participants",
            "participants",
            "participant_count",
            "created_at",
            "defeated_at",
        ]
        read_only_fields = fields

    def get_participant_count(self, battle) -> int:
        return len(battle.participants.all())


class LootLineSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="`gold`, `item` or `egg`.")
    amount = serializers.IntegerField()
    name = serializers.CharField(required=False)
    item_id = serializers.IntegerField(required=False)
    species_id = serializers.IntegerField(required=False)


class BattleHistorySerializer(serializers.Serializer):
    battle_id = serializers.IntegerField()
    enemy = EnemySerializer(source="battle.enemy")
    status = serializers.CharField(source="battle.status", help_text="`open` or `defeated`.")
    enemy_hp = serializers.IntegerField(source="battle.hp")
    damage = serializers.IntegerField(source="damage_dealt")
    attacks = serializers.IntegerField()
    xp_awarded = serializers.IntegerField()
    loot_claimed = serializers.SerializerMethodField()
    loot = LootLineSerializer(many=True)
    joined_at = serializers.DateTimeField()
    defeated_at = serializers.DateTimeField(source="battle.defeated_at", allow_null=True)

    def get_loot_claimed(self, participant) -> bool:
        return participant.loot_claimed_at is not None

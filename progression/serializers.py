"""Output shapes shared by several progression endpoints and the battle socket."""

from gameplatform.http import serializers
from progression.models import Currency, Rarity, Slot


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


class LedgerEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    currency = serializers.ChoiceField(choices=Currency.choices)
    amount = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    reason = serializers.CharField()
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()


class ItemTemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slot = serializers.ChoiceField(choices=Slot.choices)
    rarity = serializers.ChoiceField(choices=Rarity.choices)
    stats = StatsSerializer()
    description = serializers.CharField()


class InventoryItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = ItemTemplateSerializer(source="template")
    quantity = serializers.IntegerField()
    equipped = serializers.BooleanField()


class PetSpeciesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    rarity = serializers.ChoiceField(choices=Rarity.choices)
    base_power = serializers.IntegerField()


class PetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    species = PetSpeciesSerializer()
    level = serializers.IntegerField()
    xp = serializers.IntegerField()
    xp_to_next_level = serializers.SerializerMethodField()
    power = serializers.SerializerMethodField()
    equipped = serializers.BooleanField()
    hatched_at = serializers.DateTimeField()

    def get_xp_to_next_level(self, pet) -> int:
        from progression.rules import pet_xp_to_next_level

        return pet_xp_to_next_level(pet.level)

    def get_power(self, pet) -> int:
        from progression.rules import pet_power

        return pet_power(base_power=pet.species.base_power, level=pet.level)


class EggSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    species = PetSpeciesSerializer()
    source = serializers.CharField(help_text="`shop`, `loot` or `demo`.")
    acquired_at = serializers.DateTimeField()


class ShopItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="`item` or `egg`.")
    name = serializers.CharField()
    item = ItemTemplateSerializer(allow_null=True, help_text="The item sold (null for an egg).")
    egg = PetSpeciesSerializer(source="egg_species", allow_null=True, help_text="What the egg hatches into.")
    price_gold = serializers.IntegerField(allow_null=True)
    price_gems = serializers.IntegerField(allow_null=True)
    stock = serializers.IntegerField(allow_null=True, help_text="Null: unlimited.")


class PurchaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop_item = ShopItemSerializer()
    quantity = serializers.IntegerField()
    currency = serializers.ChoiceField(choices=Currency.choices)
    total_price = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class EnemySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.IntegerField()
    max_hp = serializers.IntegerField()
    xp_reward = serializers.IntegerField()


class ParticipantSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(source="player_id")
    username = serializers.CharField(source="player.user.username")
    damage = serializers.IntegerField(source="damage_dealt")


class BattleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    enemy = EnemySerializer()
    status = serializers.CharField(help_text="`open` or `defeated`.")
    hp = serializers.IntegerField()
    max_hp = serializers.IntegerField()
    stamina_cost = serializers.IntegerField()
    max_participants = serializers.IntegerField()
    participants = ParticipantSerializer(many=True)
    participant_count = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    defeated_at = serializers.DateTimeField(allow_null=True)

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

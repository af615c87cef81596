from gameplatform.http import serializers
from world.models import Character, Enemy, Faction, Location, Shard, WorldEvent


class FactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Faction
        fields = ["id", "name"]
        read_only_fields = fields


class CharacterSerializer(serializers.ModelSerializer):
    faction = serializers.CharField(source="faction.name")

    class Meta:
        model = Character
        fields = [
            "id",
            "name",
            "faction",
            "level",
            "xp",
            "health",
            "max_health",
            "location_id",
            "selected",
            "created_at",
        ]
        read_only_fields = fields


class WorldEnemySerializer(serializers.ModelSerializer):
    class Meta:
        model = Enemy
        fields = ["id", "name", "level", "health", "max_health"]
        read_only_fields = fields


class LocationSerializer(serializers.ModelSerializer):
    neighbours = serializers.SerializerMethodField()
    shard_id = serializers.SerializerMethodField()
    enemies = WorldEnemySerializer(many=True, source="alive_enemies")

    class Meta:
        model = Location
        fields = ["id", "name", "neighbours", "contested", "shard_id", "enemies"]
        read_only_fields = fields

    def get_neighbours(self, location) -> list[int]:
        return sorted(n.pk for n in location.neighbours.all())

    def get_shard_id(self, location) -> int | None:
        shard = getattr(location, "shard", None)
        return shard.pk if shard is not None else None


class ShardSerializer(serializers.ModelSerializer):
    owner_faction = serializers.CharField(source="owner_faction.name", allow_null=True, default=None)

    class Meta:
        model = Shard
        fields = ["id", "name", "location_id", "owner_faction", "captured_at"]
        read_only_fields = fields


class WorldEventSerializer(serializers.ModelSerializer):
    payload = serializers.DictField()

    class Meta:
        model = WorldEvent
        fields = ["id", "kind", "payload", "created_at"]
        read_only_fields = fields


class NearbyCharacterSerializer(serializers.Serializer):
    character_id = serializers.IntegerField(source="id")
    name = serializers.CharField()
    faction = serializers.CharField(source="faction.name")
    level = serializers.IntegerField()
    position = serializers.DictField()


class WorldStateSerializer(serializers.Serializer):
    current_reality = serializers.CharField()
    shards = ShardSerializer(many=True)
    factions = FactionSerializer(many=True)
    online_characters = serializers.IntegerField()
    recent_events = WorldEventSerializer(many=True)

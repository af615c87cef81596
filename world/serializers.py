from gameplatform.http import serializers


class FactionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CharacterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    faction = serializers.CharField(source="faction.name")
    level = serializers.IntegerField()
    xp = serializers.IntegerField()
    health = serializers.IntegerField()
    max_health = serializers.IntegerField()
    location_id = serializers.IntegerField()
    selected = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WorldEnemySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.IntegerField()
    health = serializers.IntegerField()
    max_health = serializers.IntegerField()


class LocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    neighbours = serializers.SerializerMethodField()
    contested = serializers.BooleanField()
    shard_id = serializers.SerializerMethodField()
    enemies = WorldEnemySerializer(many=True, source="alive_enemies")

    def get_neighbours(self, location) -> list[int]:
        return sorted(n.pk for n in location.neighbours.all())

    def get_shard_id(self, location) -> int | None:
        shard = getattr(location, "shard", None)
        return shard.pk if shard is not None else None


class ShardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    location_id = serializers.IntegerField()
    owner_faction = serializers.CharField(source="owner_faction.name", allow_null=True, default=None)
    captured_at = serializers.DateTimeField(allow_null=True)


class WorldEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    payload = serializers.DictField()
    created_at = serializers.DateTimeField()


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

"""The demo world: three factions, a graph of nine locations, five Crystal Shards, enemies in the
wilds, and a character for every demo user (idempotent)."""

from django.db import transaction

from world.models import Character, Enemy, Faction, Location, Shard, WorldState
from world.services import character_remove

# name, contested
LOCATIONS = [
    ("Emberhold", False),
    ("Azure Spire", False),
    ("Verdant Hollow", False),
    ("Ashen Road", False),
    ("Whispering Fen", False),
    ("Shattered Plains", True),
    ("Crystal Rift", True),
    ("Sunken Archive", False),
    ("Eternity Gate", True),
]
ROADS = [
    ("Emberhold", "Ashen Road"),
    ("Azure Spire", "Sunken Archive"),
    ("Verdant Hollow", "Whispering Fen"),
    ("Ashen Road", "Shattered Plains"),
    ("Sunken Archive", "Shattered Plains"),
    ("Whispering Fen", "Crystal Rift"),
    ("Shattered Plains", "Crystal Rift"),
    ("Shattered Plains", "Eternity Gate"),
    ("Crystal Rift", "Eternity Gate"),
    ("Ashen Road", "Whispering Fen"),
]
FACTIONS = [("Crimson Covenant", "Emberhold"), ("Azure Order", "Azure Spire"), ("Verdant Circle", "Verdant Hollow")]
SHARDS = [
    ("Phoenix Flame", "Shattered Plains"),
    ("Tidal Heart", "Sunken Archive"),
    ("Verdant Core", "Crystal Rift"),
    ("Void Prism", "Eternity Gate"),
    ("Ember Stone", "Ashen Road"),
]
# name, location, level, health
ENEMIES = [
    ("Ash Wolf", "Ashen Road", 1, 40),
    ("Ash Wolf", "Ashen Road", 2, 55),
    ("Bog Lurker", "Whispering Fen", 3, 80),
    ("Rift Wraith", "Crystal Rift", 5, 140),
    ("Archive Golem", "Sunken Archive", 4, 120),
    ("Gate Warden", "Eternity Gate", 8, 300),
]
CHARACTERS = [
    ("user_1", "Aria", "Crimson Covenant"),
    ("user_2", "Borin", "Azure Order"),
    ("user_3", "Cyra", "Verdant Circle"),
    ("user_4", "Dain", "Crimson Covenant"),
    ("user_5", "Elowen", "Azure Order"),
    ("premium_user_1", "Fenris", "Verdant Circle"),
    ("premium_user_2", "Garrick", "Crimson Covenant"),
]


@transaction.atomic
def seed(*, users, stdout) -> None:
    WorldState.objects.get_or_create(pk=1)
    places = {
        name: Location.objects.get_or_create(name=name, defaults={"contested": contested})[0]
        for name, contested in LOCATIONS
    }
    for a, b in ROADS:
        places[a].neighbours.add(places[b])
    factions = {}
    for name, home in FACTIONS:
        faction, _ = Faction.objects.get_or_create(name=name, defaults={"home_location": places[home]})
        factions[name] = faction
    for name, place in SHARDS:
        Shard.objects.get_or_create(name=name, defaults={"location": places[place]})
    if not Enemy.objects.exists():
        Enemy.objects.bulk_create(
            Enemy(name=name, location=places[place], level=level, health=health, max_health=health)
            for name, place, level, health in ENEMIES
        )
    made = 0
    for username, name, faction in CHARACTERS:
        user = users.get(username)
        if user is None or Character.objects.filter(user=user).exists():
            continue
        Character.objects.create(
            user=user, name=name, faction=factions[faction], location=factions[faction].home_location, selected=True
        )
        made += 1
    stdout.write(
        f"World: {len(LOCATIONS)} locations, {len(FACTIONS)} factions, {len(SHARDS)} shards; {made} characters made."
    )


def clear() -> None:
    for character in Character.objects.filter(name__in=[name for _, name, _ in CHARACTERS]):
        character_remove(character=character)

"""Demo data: a catalog across every rarity, eggs and pets, open battles, gold for the demo users."""

from django.db import transaction
from django.db.models import Q

from progression import services
from progression.models import (
    Battle,
    BoxOutcome,
    Egg,
    EnemyTemplate,
    InventoryItem,
    ItemTemplate,
    LootEntry,
    Pet,
    PetSpecies,
    Player,
    Purchase,
    ShopItem,
)

# name, slot, rarity, (strength, agility, intelligence, vitality), gold price, gem price, stock
# A random box (docs/payments.md, "The shop and the law"): its name, gem price, and outcomes with weights.
BOX = ("Mystery Chest", 15, [("Iron Sword", 60), ("Mage Circlet", 30), ("Dragonfang", 10)])

ITEMS = [
    ("Wooden Sword", "weapon", "common", (3, 0, 0, 0), 50, None, None),
    ("Leather Cap", "head", "common", (0, 0, 0, 2), 40, None, None),
    ("Cloth Tunic", "chest", "common", (0, 0, 0, 3), 60, None, None),
    ("Iron Sword", "weapon", "uncommon", (6, 1, 0, 0), 150, None, None),
    ("Swift Boots", "feet", "uncommon", (0, 5, 0, 0), 140, None, None),
    ("Chain Leggings", "legs", "uncommon", (1, 0, 0, 5), 160, None, None),
    ("Mage Circlet", "head", "rare", (0, 0, 8, 2), 400, 20, None),
    ("Knight Plate", "chest", "rare", (2, 0, 0, 10), 450, 25, 20),
    ("Storm Blade", "weapon", "epic", (14, 4, 2, 0), None, 60, 10),
    ("Ring of Wisdom", "accessory", "epic", (0, 2, 12, 2), 1200, 50, 10),
    ("Dragonfang", "weapon", "legendary", (25, 8, 5, 5), None, 200, 3),
    ("Crown of Ages", "head", "legendary", (8, 8, 18, 8), None, 220, 3),
]
# name, rarity, base power, gold price, gem price, stock
PETS = [
    ("Slime", "common", 4, 80, None, None),
    ("Fox", "uncommon", 8, 200, None, None),
    ("Griffin", "rare", 15, None, 40, 25),
    ("Phoenix", "legendary", 40, None, 250, 2),
]
# name, level, hp, stamina cost, xp, loot [(kind, name, amount, chance)]
ENEMIES = [
    (
        "Goblin Raider",
        1,
        300,
        10,
        60,
        [("gold", None, 40, 100), ("item", "Leather Cap", 1, 30), ("egg", "Slime", 1, 20)],
    ),
    (
        "Forest Troll",
        5,
        1200,
        20,
        180,
        [("gold", None, 120, 100), ("item", "Iron Sword", 1, 25), ("egg", "Fox", 1, 15)],
    ),
    (
        "Ancient Dragon",
        20,
        8000,
        40,
        900,
        [("gold", None, 600, 100), ("item", "Dragonfang", 1, 5), ("egg", "Phoenix", 1, 3)],
    ),
]
DEMO_GOLD = 1000
DEMO_GEMS = 100


def seed(*, users, stdout) -> None:
    items = {
        name: ItemTemplate.objects.update_or_create(
            name=name,
            defaults=dict(
                slot=slot,
                rarity=rarity,
                **dict(zip(("strength", "agility", "intelligence", "vitality"), stats, strict=True)),
            ),
        )[0]
        for name, slot, rarity, stats, *_ in ITEMS
    }
    species = {
        name: PetSpecies.objects.update_or_create(name=name, defaults={"rarity": rarity, "base_power": power})[0]
        for name, rarity, power, *_ in PETS
    }
    order = 0
    for name, _slot, _rarity, _stats, gold, gems, stock in ITEMS:
        order += 1
        ShopItem.objects.get_or_create(
            item=items[name], defaults=dict(price_gold=gold, price_gems=gems, stock=stock, sort_order=order)
        )
    for name, _rarity, _power, gold, gems, stock in PETS:
        order += 1
        ShopItem.objects.get_or_create(
            egg_species=species[name], defaults=dict(price_gold=gold, price_gems=gems, stock=stock, sort_order=order)
        )
    box, created = ShopItem.objects.get_or_create(
        box_name=BOX[0], defaults=dict(price_gems=BOX[1], sort_order=order + 1)
    )
    if created:
        for name, weight in BOX[2]:
            BoxOutcome.objects.create(shop_item=box, item=items[name], weight=weight)
    for name, level, hp, cost, xp, loot in ENEMIES:
        enemy, created = EnemyTemplate.objects.get_or_create(
            name=name, defaults=dict(level=level, max_hp=hp, stamina_cost=cost, xp_reward=xp, keep_open=True)
        )
        if created:
            for kind, target, amount, chance in loot:
                LootEntry.objects.create(
                    enemy=enemy,
                    kind=kind,
                    item=items.get(target) if kind == "item" else None,
                    egg_species=species.get(target) if kind == "egg" else None,
                    amount=amount,
                    chance=chance,
                )
        if not Battle.objects.filter(enemy=enemy, status=Battle.Status.OPEN).exists():
            services.battle_create(enemy=enemy)
    for user in users.values():
        _seed_player(user, species)
    stdout.write(f"Progression: {len(ITEMS)} items, {len(PETS)} pet species, {len(ENEMIES)} open battles.")


def _seed_player(user, species) -> None:
    services.player_ensure(user_id=user.pk)
    with transaction.atomic():
        player = services.player_lock(user_id=user.pk)
        if player.ledger.filter(reason="demo_grant").exists():
            return
        services.balance_change(player=player, gold=DEMO_GOLD, gems=DEMO_GEMS, reason="demo_grant", reference="demo")
        services.egg_grant(player=player, species=species["Fox"], source="demo")
        Pet.objects.create(player=player, species=species["Slime"], equipped=True)


def clear() -> None:
    """Remove the demo players' progress, the demo battles, and catalog rows nobody else holds."""
    from accounts.management.commands.seed_demo import NORMAL_USERS, PREMIUM_USERS

    Player.objects.filter(user__username__in=PREMIUM_USERS + NORMAL_USERS).delete()
    enemies = EnemyTemplate.objects.filter(name__in=[e[0] for e in ENEMIES])
    Battle.objects.filter(enemy__in=enemies).delete()
    enemies.delete()
    item_names, pet_names = [i[0] for i in ITEMS], [p[0] for p in PETS]
    ShopItem.objects.filter(box_name=BOX[0]).exclude(pk__in=Purchase.objects.values("shop_item_id")).delete()
    ShopItem.objects.filter(Q(item__name__in=item_names) | Q(egg_species__name__in=pet_names)).exclude(
        pk__in=Purchase.objects.values("shop_item_id")
    ).delete()
    ItemTemplate.objects.filter(name__in=item_names).exclude(
        pk__in=InventoryItem.objects.values("template_id")
    ).exclude(pk__in=ShopItem.objects.values("item_id")).exclude(pk__in=LootEntry.objects.values("item_id")).exclude(
        pk__in=BoxOutcome.objects.values("item_id")
    ).delete()
    PetSpecies.objects.filter(name__in=pet_names).exclude(pk__in=Pet.objects.values("species_id")).exclude(
        pk__in=Egg.objects.values("species_id")
    ).exclude(pk__in=ShopItem.objects.filter(egg_species__isnull=False).values("egg_species_id")).exclude(
        pk__in=LootEntry.objects.filter(egg_species__isnull=False).values("egg_species_id")
    ).delete()

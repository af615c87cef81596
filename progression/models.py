"""Player progression and the economy: profiles, the ledger, items, pets, the shop, battles.

Balances (gold, gems, stamina), stock and HP are guarded by CheckConstraints, so
no code path can write a negative value; services change them with ``F()``
updates inside transactions that also write the ledger.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Rarity(models.TextChoices):
    COMMON = "common"
    UNCOMMON = "uncommon"
    RARE = "rare"
    EPIC = "epic"
    LEGENDARY = "legendary"


class Slot(models.TextChoices):
    WEAPON = "weapon"
    HEAD = "head"
    CHEST = "chest"
    LEGS = "legs"
    FEET = "feet"
    ACCESSORY = "accessory"


class Currency(models.TextChoices):
    GOLD = "gold"
    GEMS = "gems"
    STAMINA = "stamina"


STAT_NAMES = ("strength", "agility", "intelligence", "vitality")
# What a ledger row counts: a balance, or XP (earned, never spent: its ``balance_after`` is the
# player's XP in all, ``rules.total_xp``).
XP = "xp"
LEDGER_CURRENCIES = [*Currency.choices, (XP, "XP")]
# Grants that happen once per reference (a game's XP: ``game:<id>``): the database refuses a second.
ONCE_REASONS = ("game_xp",)


class ItemTemplate(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slot = models.CharField(max_length=16, choices=Slot.choices)
    rarity = models.CharField(max_length=16, choices=Rarity.choices, default=Rarity.COMMON)
    strength = models.PositiveIntegerField(default=0)
    agility = models.PositiveIntegerField(default=0)
    intelligence = models.PositiveIntegerField(default=0)
    vitality = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.rarity} {self.slot})"

    @property
    def stats(self) -> dict:
        return {name: getattr(self, name) for name in STAT_NAMES}


class PetSpecies(models.Model):
    """What an egg hatches into."""

    name = models.CharField(max_length=80, unique=True)
    rarity = models.CharField(max_length=16, choices=Rarity.choices, default=Rarity.COMMON)
    base_power = models.PositiveIntegerField(default=5)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "pet species"

    def __str__(self) -> str:
        return self.name


class Player(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    level = models.PositiveIntegerField(default=1)
    xp = models.PositiveIntegerField(default=0)
    stat_points = models.PositiveIntegerField(default=0)
    strength = models.PositiveIntegerField(default=5)
    agility = models.PositiveIntegerField(default=5)
    intelligence = models.PositiveIntegerField(default=5)
    vitality = models.PositiveIntegerField(default=5)
    gold = models.BigIntegerField(default=0)
    gems = models.BigIntegerField(default=0)
    stamina = models.IntegerField(default=0)
    max_stamina = models.IntegerField(default=100)
    # Regeneration is counted from here; partial intervals are kept across writes.
    stamina_updated_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(gold__gte=0), name="progression_player_gold_gte_0"),
            models.CheckConstraint(condition=Q(gems__gte=0), name="progression_player_gems_gte_0"),
            models.CheckConstraint(condition=Q(stamina__gte=0), name="progression_player_stamina_gte_0"),
            models.CheckConstraint(
                condition=Q(stamina__lte=F("max_stamina")), name="progression_player_stamina_lte_max"
            ),
            models.CheckConstraint(condition=Q(level__gte=1), name="progression_player_level_gte_1"),
        ]

    def __str__(self) -> str:
        return f"player {self.user_id}"


class LedgerEntry(models.Model):
    """One change of one balance, written in the transaction that made it."""

    # Kept when the player deletes their account (the accounts of what was bought and spent), without them.
    player = models.ForeignKey(Player, null=True, on_delete=models.SET_NULL, related_name="ledger")
    currency = models.CharField(max_length=8, choices=LEDGER_CURRENCIES)
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    reason = models.CharField(max_length=32)
    reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["player", "-id"], name="progression_ledger_player_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="progression_ledger_amount_not_0"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="progression_ledger_balance_gte_0"),
            models.UniqueConstraint(
                fields=["player", "currency", "reason", "reference"],
                condition=Q(reason__in=ONCE_REASONS),
                name="progression_ledger_once",
            ),
        ]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:+d} ({self.reason})"


class InventoryItem(models.Model):
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="inventory")
    template = models.ForeignKey(ItemTemplate, on_delete=models.PROTECT, related_name="+")
    # Copied from the template so the database can hold "one equipped item per slot".
    slot = models.CharField(max_length=16, choices=Slot.choices)
    quantity = models.PositiveIntegerField(default=1)
    equipped = models.BooleanField(default=False)
    acquired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["player", "template"], name="progression_inventory_one_stack"),
            models.UniqueConstraint(
                fields=["player", "slot"], condition=Q(equipped=True), name="progression_inventory_one_per_slot"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="progression_inventory_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.template_id}"


class Egg(models.Model):
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="eggs")
    species = models.ForeignKey(PetSpecies, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, default="shop")
    acquired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"egg {self.pk} ({self.species_id})"


class Pet(models.Model):
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="pets")
    species = models.ForeignKey(PetSpecies, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveIntegerField(default=1)
    xp = models.PositiveIntegerField(default=0)
    equipped = models.BooleanField(default=False)
    hatched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["player", "equipped"], name="progression_pet_equipped_idx")]
        constraints = [models.CheckConstraint(condition=Q(level__gte=1), name="progression_pet_level_gte_1")]

    def __str__(self) -> str:
        return f"pet {self.pk} level {self.level}"


class ShopItem(models.Model):
    """A catalog entry selling an item, an egg or a random box, for gold and/or gems.

    A random box (``box_name`` set, no item nor egg) grants one of its ``outcomes`` per unit,
    drawn by their declared weights (docs/payments.md, "The shop and the law")."""

    box_name = models.CharField(max_length=100, blank=True, help_text="Set: a random box of its outcomes.")
    item = models.ForeignKey(ItemTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    egg_species = models.ForeignKey(PetSpecies, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    price_gold = models.PositiveIntegerField(null=True, blank=True)
    price_gems = models.PositiveIntegerField(null=True, blank=True)
    stock = models.IntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    is_active = models.BooleanField(default=True)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(item__isnull=False) & Q(egg_species__isnull=True) & Q(box_name=""))
                | (Q(item__isnull=True) & Q(egg_species__isnull=False) & Q(box_name=""))
                | (Q(item__isnull=True) & Q(egg_species__isnull=True) & ~Q(box_name="")),
                name="progression_shop_item_egg_or_box",
            ),
            models.CheckConstraint(
                condition=Q(price_gold__isnull=False) | Q(price_gems__isnull=False), name="progression_shop_has_price"
            ),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="progression_shop_stock_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def kind(self) -> str:
        return "box" if self.box_name else "item" if self.item_id else "egg"

    @property
    def name(self) -> str:
        if self.box_name:
            return self.box_name
        return self.item.name if self.item_id else f"{self.egg_species.name} Egg"


class BoxOutcome(models.Model):
    """One outcome a random box declares: an item and quantity, drawn with ``weight`` / the box's total."""

    shop_item = models.ForeignKey(ShopItem, on_delete=models.CASCADE, related_name="outcomes")
    item = models.ForeignKey(ItemTemplate, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    weight = models.PositiveIntegerField(help_text="The outcome's probability is its weight over the box's total.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=1), name="progression_box_outcome_weight_gte_1"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="progression_box_outcome_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.item.name if self.quantity == 1 else f"{self.item.name} x{self.quantity}"


class BoxDraw(models.Model):
    """What a random box gave: one row per unit bought, written with the purchase's ledger rows."""

    purchase = models.ForeignKey("Purchase", on_delete=models.CASCADE, related_name="draws")
    outcome = models.ForeignKey(BoxOutcome, on_delete=models.PROTECT, related_name="draws")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"draw {self.pk} of purchase {self.purchase_id}"


class Purchase(models.Model):
    # Kept when the player deletes their account, without them (as the ledger's rows).
    player = models.ForeignKey(Player, null=True, on_delete=models.SET_NULL, related_name="purchases")
    shop_item = models.ForeignKey(ShopItem, on_delete=models.PROTECT, related_name="purchases")
    quantity = models.PositiveIntegerField()
    currency = models.CharField(max_length=8, choices=Currency.choices)
    total_price = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"purchase {self.pk}"


class IdempotencyKey(models.Model):
    """The first answer to a request sent with an ``Idempotency-Key`` header, per user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=201)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="progression_idempotency_unique")]

    def __str__(self) -> str:
        return self.key


class EnemyTemplate(models.Model):
    name = models.CharField(max_length=80, unique=True)
    level = models.PositiveIntegerField(default=1)
    max_hp = models.PositiveIntegerField()
    stamina_cost = models.PositiveIntegerField(default=10)
    xp_reward = models.PositiveIntegerField(default=50)
    max_participants = models.PositiveIntegerField(default=10)
    keep_open = models.BooleanField(
        default=False, help_text="The timer opens a new battle against this enemy when none is open."
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(max_hp__gte=1), name="progression_enemy_hp_gte_1")]

    def __str__(self) -> str:
        return self.name


class LootEntry(models.Model):
    """One line of an enemy's loot table, rolled once per participant at claim time."""

    class Kind(models.TextChoices):
        ITEM = "item"
        EGG = "egg"
        GOLD = "gold"

    enemy = models.ForeignKey(EnemyTemplate, on_delete=models.CASCADE, related_name="loot")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    item = models.ForeignKey(ItemTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    egg_species = models.ForeignKey(PetSpecies, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveIntegerField(default=1, help_text="Quantity, or gold for a gold line.")
    chance = models.PositiveSmallIntegerField(default=100, help_text="Percent, 1-100.")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "loot entries"
        constraints = [
            models.CheckConstraint(condition=Q(chance__gte=1, chance__lte=100), name="progression_loot_chance_1_100"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="progression_loot_amount_gte_1"),
            models.CheckConstraint(
                condition=Q(kind="item", item__isnull=False, egg_species__isnull=True)
                | Q(kind="egg", item__isnull=True, egg_species__isnull=False)
                | Q(kind="gold", item__isnull=True, egg_species__isnull=True),
                name="progression_loot_kind_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} x{self.amount} ({self.chance}%)"


class Battle(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        DEFEATED = "defeated"

    enemy = models.ForeignKey(EnemyTemplate, on_delete=models.PROTECT, related_name="battles")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    hp = models.IntegerField()
    max_hp = models.PositiveIntegerField()
    stamina_cost = models.PositiveIntegerField()
    max_participants = models.PositiveIntegerField(default=10)
    created_at = models.DateTimeField(auto_now_add=True)
    defeated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"], name="progression_battle_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(hp__gte=0), name="progression_battle_hp_gte_0"),
            models.CheckConstraint(condition=Q(hp__lte=F("max_hp")), name="progression_battle_hp_lte_max"),
            models.CheckConstraint(
                condition=Q(status="open", hp__gt=0, defeated_at__isnull=True)
                | Q(status="defeated", hp=0, defeated_at__isnull=False),
                name="progression_battle_status_matches_hp",
            ),
        ]

    def __str__(self) -> str:
        return f"battle {self.pk} vs {self.enemy.name}"


class BattleParticipant(models.Model):
    battle = models.ForeignKey(Battle, on_delete=models.CASCADE, related_name="participants")
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="battles")
    damage_dealt = models.PositiveIntegerField(default=0)
    attacks = models.PositiveIntegerField(default=0)
    last_attack_at = models.DateTimeField(null=True, blank=True)
    xp_awarded = models.PositiveIntegerField(default=0)
    loot_claimed_at = models.DateTimeField(null=True, blank=True)
    loot = models.JSONField(default=list, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["battle", "player"], name="progression_participant_unique")]
        indexes = [models.Index(fields=["player", "-id"], name="progression_participant_idx")]

    def __str__(self) -> str:
        return f"player {self.player_id} in battle {self.battle_id}"

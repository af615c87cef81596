"""The persistent world: factions, locations (a graph; each one an area), shards, the world's
reality, characters, enemies placed in areas, and the kept world events.

Everything a restart must keep lives here, in the database; who stands in which area right
now is the kit's presence (``world.areas``).
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

CHARACTER_NAME_MAX = 24
MAX_CHARACTERS = 3
PARTY_MAX = 5


class Faction(models.Model):
    name = models.CharField(max_length=60, unique=True)
    home_location = models.ForeignKey("Location", on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    name = models.CharField(max_length=80, unique=True)
    # Characters of different factions may fight each other here (PvP).
    contested = models.BooleanField(default=False)
    neighbours = models.ManyToManyField("self", symmetrical=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Shard(models.Model):
    """A Crystal Shard at a location, owned by the faction that captured it last."""

    name = models.CharField(max_length=80, unique=True)
    location = models.OneToOneField(Location, on_delete=models.PROTECT, related_name="shard")
    owner_faction = models.ForeignKey(Faction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    captured_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class WorldState(models.Model):
    """The one row of world-wide state (``pk=1``): the current reality."""

    current_reality = models.CharField(max_length=40, default="prime")
    changed_at = models.DateTimeField(auto_now=True)
    # When the world-event timer fires next; claimed by a conditional update, so of several
    # timer runners exactly one fires each event.
    next_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="world_state_single_row")]

    def __str__(self) -> str:
        return f"reality {self.current_reality}"


class Character(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="characters")
    name = models.CharField(max_length=CHARACTER_NAME_MAX)
    faction = models.ForeignKey(Faction, on_delete=models.PROTECT, related_name="characters")
    level = models.PositiveIntegerField(default=1)
    xp = models.PositiveIntegerField(default=0)
    health = models.PositiveIntegerField(default=100)
    max_health = models.PositiveIntegerField(default=100)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="characters")
    # The last position a world socket reported (written on disconnect, not per frame).
    position = models.JSONField(default=dict, blank=True)
    selected = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="character_name_unique_ci"),
            models.UniqueConstraint(fields=["user"], condition=models.Q(selected=True), name="character_one_selected"),
            models.CheckConstraint(condition=models.Q(health__lte=models.F("max_health")), name="character_health_max"),
            models.CheckConstraint(condition=models.Q(level__gte=1), name="character_level_min"),
        ]

    def __str__(self) -> str:
        return self.name


class Enemy(models.Model):
    """An enemy placed in an area; defeated, it comes back at ``respawn_at``."""

    name = models.CharField(max_length=60)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="enemies")
    level = models.PositiveIntegerField(default=1)
    health = models.PositiveIntegerField()
    max_health = models.PositiveIntegerField()
    respawn_seconds = models.PositiveIntegerField(default=30)
    respawn_at = models.DateTimeField(null=True, blank=True)  # set while defeated

    class Meta:
        verbose_name_plural = "enemies"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(health__lte=models.F("max_health")), name="enemy_health_max"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (level {self.level})"


class WorldEvent(models.Model):
    class Kind(models.TextChoices):
        SHARD_CAPTURED = "shard_captured"
        REALITY_SHIFT = "reality_shift"
        AETHERFALL = "aetherfall"
        ANNOUNCEMENT = "announcement"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="world_event_recent_idx")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"


class Party(models.Model):
    """Up to ``PARTY_MAX`` characters; the leader is one of them."""

    leader = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="+")
    # Kept equal to the number of members by the services (F() updates under the party's
    # row lock); the constraint makes a party over its size impossible to write.
    member_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "parties"
        constraints = [
            models.CheckConstraint(condition=models.Q(member_count__lte=PARTY_MAX), name="party_max_size"),
        ]

    def __str__(self) -> str:
        return f"party {self.pk} of {self.leader_id}"


class PartyMember(models.Model):
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="members")
    # One party per character at a time.
    character = models.OneToOneField(Character, on_delete=models.CASCADE, related_name="party_membership")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return f"{self.character_id} in party {self.party_id}"


class Combat(models.Model):
    """A fight of a character against an enemy (PvE) or a character of another faction (PvP)."""

    class Kind(models.TextChoices):
        PVE = "pve"
        PVP = "pvp"

    class Status(models.TextChoices):
        ACTIVE = "active"
        FINISHED = "finished"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="combats")
    attacker = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="combats_started")
    defender = models.ForeignKey(
        Character, on_delete=models.CASCADE, null=True, blank=True, related_name="combats_defended"
    )
    enemy = models.ForeignKey(Enemy, on_delete=models.CASCADE, null=True, blank=True, related_name="combats")
    # "character:<id>" or "enemy:<id>" once finished.
    winner = models.CharField(max_length=40, blank=True)
    loot = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="pve") & models.Q(enemy__isnull=False) & models.Q(defender__isnull=True))
                | (models.Q(kind="pvp") & models.Q(defender__isnull=False) & models.Q(enemy__isnull=True)),
                name="combat_kind_target",
            ),
            models.CheckConstraint(
                condition=models.Q(status="active", ended_at__isnull=True)
                | models.Q(status="finished", ended_at__isnull=False),
                name="combat_ended_iff_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} combat {self.pk} ({self.status})"


class Trade(models.Model):
    """A trade between two characters in one area; each side's offer is a ``TradeOffer``."""

    class Status(models.TextChoices):
        REQUESTED = "requested"
        OPEN = "open"
        COMPLETED = "completed"
        DECLINED = "declined"
        CANCELLED = "cancelled"

    from_character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="trades_started")
    to_character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="trades_received")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(from_character=models.F("to_character")), name="trade_not_self"),
        ]

    def __str__(self) -> str:
        return f"trade {self.pk} ({self.status})"


class TradeOffer(models.Model):
    """One side's offer: items (``[{inventory_id, quantity}]``) and gold, and whether it confirmed."""

    trade = models.ForeignKey(Trade, on_delete=models.CASCADE, related_name="offers")
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="+")
    items = models.JSONField(default=list, blank=True)
    gold = models.PositiveBigIntegerField(default=0)
    confirmed = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["trade", "character"], name="trade_offer_one_per_side")]

    def __str__(self) -> str:
        return f"offer of {self.character_id} in trade {self.trade_id}"

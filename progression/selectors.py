"""Every non-trivial read of the progression area."""

from fractions import Fraction

from django.db.models import IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce

from accounts.models import User
from gameplatform.core.errors import NotFound
from progression import hooks, rules
from progression.hooks import GemPack
from progression.models import (
    STAT_NAMES,
    Battle,
    BattleParticipant,
    BoxOutcome,
    Egg,
    InventoryItem,
    ItemTemplate,
    LedgerEntry,
    Pet,
    Player,
    ShopItem,
)


def player_combat_stats(*, user_id: int, player: Player | None = None) -> tuple[dict, int]:
    """(stats with equipped item bonuses, total power of equipped pets): two queries."""
    player = player or Player.objects.get(pk=user_id)
    bonuses = InventoryItem.objects.filter(player_id=user_id, equipped=True).aggregate(
        **{name: Sum(f"template__{name}") for name in STAT_NAMES}
    )
    stats = {name: getattr(player, name) + (bonuses[name] or 0) for name in STAT_NAMES}
    pets = Pet.objects.filter(player_id=user_id, equipped=True).values_list("species__base_power", "level")
    pet_power = sum(rules.pet_power(base_power=base, level=level) for base, level in pets)
    return stats, pet_power


def player_profile(*, player: Player) -> dict:
    stats, pet_power = player_combat_stats(user_id=player.pk, player=player)
    return {
        "level": player.level,
        "xp": player.xp,
        "xp_to_next_level": rules.xp_to_next_level(player.level),
        "stat_points": player.stat_points,
        "stats": {name: getattr(player, name) for name in STAT_NAMES},
        "equipped_stats": stats,
        "gold": player.gold,
        "gems": player.gems,
        "stamina": player.stamina,
        "max_stamina": player.max_stamina,
        "stamina_updated_at": player.stamina_updated_at,
        "power": rules.power(stats=stats, pet_power_total=pet_power),
        "damage_range": list(rules.damage_bounds(stats=stats, pet_power_total=pet_power)),
    }


def ledger_for(*, user: User) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(player_id=user.pk).order_by("-id")


def ledger_totals(*, user_id: int) -> dict:
    """Sum of the ledger per currency (what the balances must equal)."""
    rows = LedgerEntry.objects.filter(player_id=user_id).values("currency").annotate(total=Sum("amount"))
    return {row["currency"]: row["total"] for row in rows}


def inventory_for(*, user: User) -> QuerySet[InventoryItem]:
    return InventoryItem.objects.filter(player_id=user.pk).select_related("template").order_by("id")


def item_templates_by_id(*, ids) -> dict[int, ItemTemplate]:
    """The item templates of ``ids`` that exist, by id (other apps' grants name items by id)."""
    return ItemTemplate.objects.in_bulk(list(ids))


def pets_for(*, user: User) -> QuerySet[Pet]:
    return Pet.objects.filter(player_id=user.pk).select_related("species").order_by("id")


def eggs_for(*, user: User) -> list[Egg]:
    return list(Egg.objects.filter(player_id=user.pk).select_related("species").order_by("id"))


def shop_catalog() -> QuerySet[ShopItem]:
    return (
        ShopItem.objects.filter(is_active=True)
        .select_related("item", "egg_species")
        .prefetch_related(Prefetch("outcomes", queryset=BoxOutcome.objects.select_related("item")))
        .order_by("sort_order", "id")
    )


def box_odds(*, shop_item: ShopItem) -> list[dict] | None:
    """A random box's outcomes and their probabilities (weight over the total); None for anything else."""
    if not shop_item.box_name:
        return None
    outcomes = list(shop_item.outcomes.all())
    total = sum(outcome.weight for outcome in outcomes)
    return [{"outcome": outcome.label, "probability": round(outcome.weight / total, 6)} for outcome in outcomes]


def gem_packs_by_value() -> list[GemPack]:
    """The gem packs on sale, cheapest per gem first (the currency's minor unit per gem)."""
    packs = hooks.ask(hooks.gem_packs, default=[])
    return sorted(packs, key=lambda pack: (Fraction(pack.price, pack.gems), pack.gems))


def real_price(*, gems: int, packs: list[GemPack]) -> dict | None:
    """What ``gems`` cost in money at the cheapest gem pack: ``{amount, currency}``, the amount in the
    currency's minor unit, rounded half up; None without gem packs."""
    if not packs:
        return None
    cheapest = packs[0]
    amount = Fraction(gems * cheapest.price, cheapest.gems)
    return {"amount": int(amount + Fraction(1, 2)), "currency": cheapest.currency}


def gem_offer(*, price_gems: int, balance: int, packs: list[GemPack]) -> dict | None:
    """The gem pack a player who lacks gems for an item is offered: the smallest pack that covers what
    is missing, with the gems left over after the purchase; the largest pack when none covers it
    (``packs_needed`` of them). None when the player has enough, or nothing is on sale."""
    missing = price_gems - balance
    if missing <= 0 or not packs:
        return None
    covering = [pack for pack in packs if pack.gems >= missing]
    pack = min(covering, key=lambda p: (p.gems, p.price)) if covering else max(packs, key=lambda p: p.gems)
    count = -(-missing // pack.gems)
    return {
        "product_id": pack.product_id,
        "gems": pack.gems,
        "packs_needed": count,
        "missing": missing,
        "leftover": count * pack.gems - missing,
        "price": {"amount": pack.price * count, "currency": pack.currency},
    }


def _with_participants(battles: QuerySet[Battle]) -> QuerySet[Battle]:
    return battles.select_related("enemy").prefetch_related(
        Prefetch(
            "participants",
            queryset=BattleParticipant.objects.select_related("player__user").order_by("id"),
        )
    )


def battles_available() -> QuerySet[Battle]:
    return _with_participants(Battle.objects.filter(status=Battle.Status.OPEN).order_by("-id"))


def battle_get(*, battle_id: int) -> Battle:
    battle = _with_participants(Battle.objects.filter(pk=battle_id)).first()
    if battle is None:
        raise NotFound("No such battle.")
    return battle


def battle_history(*, user: User) -> QuerySet[BattleParticipant]:
    return BattleParticipant.objects.filter(player_id=user.pk).select_related("battle__enemy").order_by("-battle_id")


def player_level_of(*, user_ref: str = "pk") -> Expression:
    """The player level of the user ``OuterRef(user_ref)`` (0 before they have a player), as an
    expression of a query over users."""
    level = Player.objects.filter(user_id=OuterRef(user_ref)).values("level")[:1]
    return Coalesce(Subquery(level, output_field=IntegerField()), Value(0))

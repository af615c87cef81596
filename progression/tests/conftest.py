"""Factories and a controlled clock for the progression tests."""

from datetime import UTC, datetime, timedelta

import pytest

from progression import clock
from progression.models import EnemyTemplate, ItemTemplate, LootEntry, PetSpecies, ShopItem
from progression.services import battle_create, player_ensure


class Clock:
    def __init__(self) -> None:
        self.current = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self):
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@pytest.fixture
def frozen_clock(monkeypatch):
    """``progression.clock.now`` under the test's control."""
    fake = Clock()
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def fixed_roll(monkeypatch):
    """Damage rolls at exactly 1.0 and every loot line drops."""
    monkeypatch.setattr(clock, "roll", lambda low, high: 1.0 if high < 10 else low)


@pytest.fixture
def make_item():
    def make(name="Sword", slot="weapon", rarity="common", **stats):
        return ItemTemplate.objects.create(name=name, slot=slot, rarity=rarity, **stats)

    return make


@pytest.fixture
def make_species():
    def make(name="Slime", rarity="common", base_power=5):
        return PetSpecies.objects.create(name=name, rarity=rarity, base_power=base_power)

    return make


@pytest.fixture
def make_shop_item(make_item):
    def make(item=None, egg_species=None, price_gold=50, price_gems=None, stock=None):
        if item is None and egg_species is None:
            item = make_item()
        return ShopItem.objects.create(
            item=item, egg_species=egg_species, price_gold=price_gold, price_gems=price_gems, stock=stock
        )

    return make


@pytest.fixture
def make_battle(make_item, make_species):
    def make(hp=100, stamina_cost=10, xp_reward=50, max_participants=10, loot=True, name=None):
        enemy = EnemyTemplate.objects.create(
            name=name or f"Goblin {EnemyTemplate.objects.count() + 1}",
            max_hp=hp,
            stamina_cost=stamina_cost,
            xp_reward=xp_reward,
            max_participants=max_participants,
        )
        if loot:
            LootEntry.objects.create(enemy=enemy, kind="gold", amount=40)
            helmet = ItemTemplate.objects.filter(name="Loot Helm").first() or make_item("Loot Helm", "head")
            LootEntry.objects.create(enemy=enemy, kind="item", item=helmet)
            species = PetSpecies.objects.filter(name="Loot Fox").first() or make_species("Loot Fox")
            LootEntry.objects.create(enemy=enemy, kind="egg", egg_species=species, chance=50)
        return battle_create(enemy=enemy)

    return make


@pytest.fixture
def player_of():
    def make(user):
        from progression.models import Player

        player_ensure(user_id=user.pk)
        return Player.objects.get(pk=user.pk)

    return make


def assert_ledger_matches(user_id: int) -> None:
    from progression.models import Player
    from progression.selectors import ledger_totals

    player = Player.objects.get(pk=user_id)
    totals = ledger_totals(user_id=user_id)
    assert (player.gold, player.gems, player.stamina) == (
        totals.get("gold", 0),
        totals.get("gems", 0),
        totals.get("stamina", 0),
    )
    assert player.gold >= 0 and player.gems >= 0 and player.stamina >= 0

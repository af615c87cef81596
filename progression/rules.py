"""The game's numbers: pure functions and constants, documented in docs/domains/progression.md.

- XP curve: reaching level ``n + 1`` from level ``n`` takes ``100 * n`` XP; XP
  past the threshold carries over. Each level-up grants ``STAT_POINTS_PER_LEVEL``
  stat points and ``MAX_STAMINA_PER_LEVEL`` more max stamina.
- power = 2 x (strength + agility + intelligence + vitality, items included)
  + the power of the equipped pets.
- damage = round((10 + 2 x strength + intelligence + agility / 2 + pet power / 2) x roll),
  roll uniform in [0.8, 1.2], at least 1. A client never sends damage.
"""

import math

from progression import clock

STARTING_GOLD = 250
STARTING_GEMS = 10
STARTING_STAMINA = 100
STAT_POINTS_PER_LEVEL = 3
MAX_STAMINA_PER_LEVEL = 5
MAX_LEVEL = 100

PETS_EQUIPPED_MAX = 3
PET_FEED_COST_GOLD = 10
PET_FEED_XP = 40
PET_MAX_LEVEL = 20
PET_POWER_PER_LEVEL = 2

ATTACK_COOLDOWN_SECONDS = 1.0
DAMAGE_ROLL_LOW = 0.8
DAMAGE_ROLL_HIGH = 1.2


def xp_to_next_level(level: int) -> int:
    return 100 * level


def apply_xp(*, level: int, xp: int, gained: int) -> tuple[int, int, int]:
    """(new level, new xp within that level, levels gained)."""
    xp += gained
    start = level
    while level < MAX_LEVEL and xp >= xp_to_next_level(level):
        xp -= xp_to_next_level(level)
        level += 1
    return level, xp, level - start


def total_xp(*, level: int, xp: int) -> int:
    """All the XP a player at ``level`` with ``xp`` within it has earned."""
    return 100 * level * (level - 1) // 2 + xp


def pet_xp_to_next_level(level: int) -> int:
    return 50 * level


def pet_power(*, base_power: int, level: int) -> int:
    return base_power + PET_POWER_PER_LEVEL * (level - 1)


def power(*, stats: dict, pet_power_total: int) -> int:
    return 2 * sum(stats.values()) + pet_power_total


def base_damage(*, stats: dict, pet_power_total: int) -> float:
    return 10 + 2 * stats["strength"] + stats["intelligence"] + stats["agility"] / 2 + pet_power_total / 2


def damage_bounds(*, stats: dict, pet_power_total: int) -> tuple[int, int]:
    base = base_damage(stats=stats, pet_power_total=pet_power_total)
    return max(1, math.floor(base * DAMAGE_ROLL_LOW)), max(1, math.ceil(base * DAMAGE_ROLL_HIGH))


def roll_damage(*, stats: dict, pet_power_total: int) -> int:
    base = base_damage(stats=stats, pet_power_total=pet_power_total)
    low, high = damage_bounds(stats=stats, pet_power_total=pet_power_total)
    return min(high, max(low, round(base * clock.roll(DAMAGE_ROLL_LOW, DAMAGE_ROLL_HIGH))))


def stamina_per_tick(*, max_stamina: int, percent: float) -> int:
    return max(1, math.floor(max_stamina * percent / 100))

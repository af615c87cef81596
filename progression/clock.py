"""Time and chance, in one place so tests can control them.

Tests patch ``progression.clock.now`` (stamina regeneration, attack cooldowns)
and ``progression.clock.roll`` (damage rolls, loot chances); services always
call them through this module.
"""

import random

from django.utils import timezone

_random = random.SystemRandom()


def now():
    return timezone.now()


def roll(low: float, high: float) -> float:
    """A uniform random number in [low, high]."""
    return _random.uniform(low, high)

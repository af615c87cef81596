"""The modes this platform runs: the classes named by the setting ``GAME_MODES``, loaded once.

A studio lists its own mode's import path there (``mygame.modes.Duel``); nothing in the
platform's code changes. A path that does not import, a class that is not a ``Mode``, or facts
that cannot work (no name, two modes of one name, fewer than two players) stop start-up with a
message that says which entry is wrong.
"""

import functools
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from gameplatform.core.errors import ApplicationError
from gameplatform.modes import Mode

NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}\Z")
MAX_TICK_RATE = 60
MAX_SPECTATOR_DELAY = 300  # seconds: what a room keeps for its spectators is bounded by it
OUTCOMES = ("win", "draw", "loss")  # a player's outcome of a game, the keys of ``Mode.xp``
MAX_XP = 1_000_000  # a game's XP for one player, before the multiplier


def _xp_declared_right(xp) -> bool:
    if xp is None:
        return True
    return isinstance(xp, dict) and all(
        key in OUTCOMES and isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_XP for key, n in xp.items()
    )


def _load(path: str) -> Mode:
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"GAME_MODES: {path!r} does not import: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Mode)):
        raise ImproperlyConfigured(f"GAME_MODES: {path!r} is not a subclass of gameplatform.modes.Mode")
    problems = []
    if not NAME.match(cls.name or ""):
        problems.append("name must be 1-32 lowercase letters, digits or _, starting with a letter")
    if not 2 <= cls.min_players <= cls.max_players <= 64:
        problems.append("players must satisfy 2 <= min_players <= max_players <= 64")
    if not 0 <= cls.tick_rate <= MAX_TICK_RATE:
        problems.append(f"tick_rate must be 0 (turn-based) to {MAX_TICK_RATE}")
    if cls.turn_timeout not in ("pass", "lose"):
        problems.append('turn_timeout must be "pass" or "lose"')
    if cls.input_rate <= 0:
        problems.append("input_rate must be above 0")
    if cls.spectators not in ("everyone", "nobody"):
        problems.append('spectators must be "everyone" or "nobody"')
    if not 0 <= cls.spectator_delay <= MAX_SPECTATOR_DELAY:
        problems.append(f"spectator_delay must be 0 to {MAX_SPECTATOR_DELAY} seconds")
    if not _xp_declared_right(cls.xp):
        problems.append(f"xp must be None or map some of {list(OUTCOMES)} to whole numbers from 0 to {MAX_XP}")
    if problems:
        raise ImproperlyConfigured(f"GAME_MODES: {path!r}: " + "; ".join(problems))
    return cls()


@functools.cache
def modes() -> dict[str, Mode]:
    """Every listed mode by name, in the setting's order."""
    loaded: dict[str, Mode] = {}
    for path in settings.GAME_MODES:
        mode = _load(path)
        if mode.name in loaded:
            raise ImproperlyConfigured(f"GAME_MODES: two modes are named {mode.name!r}")
        loaded[mode.name] = mode
    if not loaded:
        raise ImproperlyConfigured("GAME_MODES lists no mode")
    return loaded


def get_mode(name: str) -> Mode:
    try:
        return modes()[name]
    except (KeyError, TypeError):
        raise ApplicationError(
            f"Unknown mode {str(name)[:32]!r}; choose one of {', '.join(modes())}.", code="invalid_mode"
        ) from None


def mode_names() -> tuple[str, ...]:
    return tuple(modes())


def default_mode() -> str:
    """The mode a queue join without ``mode`` means: tic-tac-toe when it is listed, else the first."""
    return "tictactoe" if "tictactoe" in modes() else next(iter(modes()))

"""Rule engines, one module per mode. Add a mode by adding a module and listing it here.

Each engine module provides ``NAME``, ``MIN_PLAYERS``, ``MAX_PLAYERS`` and
``start(players)``, ``move(...)``, ``action(...)``, ``settle(players)`` (see ``base``).
"""

from types import ModuleType

from game.modes import relay, tictactoe
from gameplatform.errors import ApplicationError

ENGINES: dict[str, ModuleType] = {engine.NAME: engine for engine in (tictactoe, relay)}
MODES: tuple[str, ...] = tuple(ENGINES)
DEFAULT_MODE = tictactoe.NAME


def get_engine(mode: str) -> ModuleType:
    try:
        return ENGINES[mode]
    except KeyError:
        raise ApplicationError(
            f"Unknown mode {str(mode)[:32]!r}; choose one of {', '.join(MODES)}.", code="invalid_mode"
        )

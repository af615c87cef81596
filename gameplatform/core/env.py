"""Tiny, strict readers for settings that come from the environment.

Each helper fails loudly on a value it does not understand, so a typo in a
deployment stops start-up instead of silently picking a default.
"""

import json
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "on"}
_FALSE = {"0", "false", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, on/off; got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    return _env_number(name, default, int, "a whole number", minimum)


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    return _env_number(name, default, float, "a number", minimum)


def _env_number(name: str, default, parse, kind: str, minimum):
    """The number in ``name`` read by ``parse`` (``kind`` names what it must be), at least ``minimum``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_text_map(name: str) -> dict[str, str]:
    """A JSON object of texts (``{"spam": "No advertising."}``); ``{}`` when unset."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a JSON object of texts; got {raw!r}") from None
    texts = isinstance(value, dict) and all(isinstance(v, str) and v.strip() for v in value.values())
    if not texts:
        raise ImproperlyConfigured(f"{name} must be a JSON object of non-empty texts; got {raw!r}")
    return value


def env_count_map(name: str, default: dict[str, int]) -> dict[str, int]:
    """``default`` with the whole numbers (0 or more) of a JSON object over it (``{"win": 50}``):
    its keys are ``default``'s, any other refuses start-up; unset: ``default``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return dict(default)
    try:
        value = json.loads(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a JSON object; got {raw!r}") from None
    counts = isinstance(value, dict) and all(
        key in default and isinstance(n, int) and not isinstance(n, bool) and n >= 0 for key, n in value.items()
    )
    if not counts:
        raise ImproperlyConfigured(f"{name} must map {sorted(default)} to whole numbers from 0; got {raw!r}")
    return {**default, **value}

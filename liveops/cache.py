"""The flags, compiled once per server process and version, rebuilt when they change.

Each process keeps GrowthBook ``Feature`` objects built from the flag rows, with the version they
were read at. A request looks at the database's version at most once a second (``CHECK_SECONDS``,
on the monotonic clock) and the flags are read and compiled again only when the version moved
(as ``wordfilter.cache`` does for the word list). The process that made a change looks again at
its next request (``expire``, after the commit). What is the same for every player is computed
with the flags: the defaults (an anonymous answer) and the values for no player (``ctx.flag``).

The state is one tuple, replaced whole, so a reader needs no lock; one thread at a time looks and
rebuilds, and the others go on with the flags they have (only the very first build is waited for).
"""

import math
import threading
import time
from typing import NamedTuple

from growthbook import Feature, GrowthBook

from liveops import selectors

CHECK_SECONDS = 1.0
clock = time.monotonic  # tests set another


class Flags(NamedTuple):
    features: dict[str, Feature]  # GrowthBook's compiled features, by flag name
    defaults: dict[str, object]  # each flag's default value (anonymous players)
    no_player: dict[str, object]  # each flag's value for empty attributes (``ctx.flag``)
    version: int | None  # None: never read
    checked_at: float


def compile_flags(rows: list[tuple[str, object, list]], version: int | None, checked_at: float) -> Flags:
    features = {name: Feature(defaultValue=default, rules=rules) for name, default, rules in rows}
    growthbook = GrowthBook(attributes={}, features=features)
    no_player = {name: growthbook.eval_feature(name).value for name in features}
    defaults = {name: default for name, default, _ in rows}
    return Flags(features, defaults, no_player, version, checked_at)


_INITIAL = compile_flags([], None, -math.inf)
_state = _INITIAL
_lock = threading.Lock()


def flags() -> Flags:
    """The process's compiled flags, at most ``CHECK_SECONDS`` behind the database."""
    state = _state
    if clock() - state.checked_at < CHECK_SECONDS:
        return state
    if not _lock.acquire(blocking=state.version is None):
        return state  # another thread is looking
    try:
        return _look()
    finally:
        _lock.release()


def _look() -> Flags:
    global _state
    state, now = _state, clock()
    if now - state.checked_at < CHECK_SECONDS:
        return state  # looked at while this thread waited for the lock
    version = selectors.liveops_version()  # before the rows: a change in between is seen next time
    if version == state.version:
        _state = state._replace(checked_at=now)
    else:
        _state = compile_flags(selectors.flag_rows(), version, now)
    return _state


def expire() -> None:
    """Look again at the next request: the process that made a change sees it at once."""
    global _state
    _state = _state._replace(checked_at=-math.inf)


def forget() -> None:
    """Drop the compiled flags: the next request reads and compiles them again (tests)."""
    global _state
    with _lock:
        _state = _INITIAL

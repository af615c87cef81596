"""The compiled list, one per server process, rebuilt when the list changes.

Each process keeps its ``Matcher`` with the list version it was built from. A message looks at
the database's version at most once a second (``CHECK_SECONDS``, on the monotonic clock) and
the list is read and compiled again only when the version moved: a change reaches every process
within about a second, with no signal between them, and a message costs no database read.

The providers run in database worker threads at once: the state is one tuple, replaced whole,
so a reader needs no lock; one thread at a time looks and rebuilds (a lock), and while it does
the others go on with the list they have (only the very first build is waited for).
"""

import math
import threading
import time
from typing import NamedTuple

from wordfilter import selectors
from wordfilter.matching import Matcher

CHECK_SECONDS = 1.0
clock = time.monotonic  # tests set another


class _State(NamedTuple):
    matcher: Matcher
    version: int | None  # None: never read
    checked_at: float


_INITIAL = _State(Matcher(), None, -math.inf)
_state = _INITIAL
_lock = threading.Lock()


def matcher() -> Matcher:
    """The process's compiled list, at most ``CHECK_SECONDS`` behind the database."""
    state = _state
    if clock() - state.checked_at < CHECK_SECONDS:
        return state.matcher
    if not _lock.acquire(blocking=state.version is None):
        return state.matcher  # another thread is looking
    try:
        return _look().matcher
    finally:
        _lock.release()


def _look() -> _State:
    global _state
    state, now = _state, clock()
    if now - state.checked_at < CHECK_SECONDS:
        return state  # looked at while this thread waited for the lock
    version = selectors.list_version()  # before the words: a change in between is seen next time
    built = state.matcher if version == state.version else Matcher(selectors.word_keys())
    _state = _State(built, version, now)
    return _state


def refresh() -> Matcher:
    """Look at the database now, whenever the last look was (tests; a management shell)."""
    global _state
    with _lock:
        _state = _state._replace(checked_at=-math.inf)
        return _look().matcher


def expire() -> None:
    """Look again at the next message: the process that changed the list sees it at once."""
    global _state
    _state = _state._replace(checked_at=-math.inf)


def forget() -> None:
    """Drop the compiled list: the next message reads and compiles it again (tests)."""
    global _state
    with _lock:
        _state = _INITIAL


def mask(text: str) -> str:
    """The ``speech.masked`` provider: ``text`` with every listed word masked."""
    return matcher().mask(text)


def holds(text: str) -> bool:
    """The ``speech.refused`` provider: whether ``text`` holds a listed word."""
    return matcher().holds(text)

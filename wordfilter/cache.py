"""The compiled list, one per server process, rebuilt when the list changes.

Each process keeps its ``Matcher`` as a ``gameplatform.core.copies.ProcessCopy`` keyed by the list's
version: a message looks at the database's version at most once a second (``CHECK_SECONDS``) and
the list is read and compiled again only when the version moved. A change reaches every process
within about a second, with no signal between them, and a message costs no database read.
"""

import time

from gameplatform.core.copies import ProcessCopy
from wordfilter import selectors
from wordfilter.matching import Matcher

CHECK_SECONDS = 1.0
clock = time.monotonic  # tests set another

COMPILED: ProcessCopy[Matcher] = ProcessCopy(
    lambda: Matcher(selectors.word_keys()),
    empty=Matcher(),
    version=selectors.list_version,
    every=CHECK_SECONDS,
    clock=lambda: clock(),
)


def matcher() -> Matcher:
    """The process's compiled list, at most ``CHECK_SECONDS`` behind the database."""
    return COMPILED.get()


def refresh() -> Matcher:
    """Look at the database now, whenever the last look was (tests; a management shell)."""
    return COMPILED.refresh()


def expire() -> None:
    """Look again at the next message: the process that changed the list sees it at once."""
    COMPILED.expire()


def forget() -> None:
    """Drop the compiled list: the next message reads and compiles it again (tests)."""
    COMPILED.forget()


def mask(text: str) -> str:
    """The ``speech.masked`` provider: ``text`` with every listed word masked."""
    return matcher().mask(text)


def holds(text: str) -> bool:
    """The ``speech.refused`` provider: whether ``text`` holds a listed word."""
    return matcher().holds(text)

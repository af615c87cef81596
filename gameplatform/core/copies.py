"""A process's own copy of something the database holds, never more than a second behind.

The word list, the live-operations flags and the running mutes are read on hot paths (every chat
message, every ``GET /api/liveops/``), and change a few times a day. Each process keeps its own
copy, built from the database, and looks at the database again at most once every ``every``
seconds (on the monotonic clock): a change reaches every process within that time, with no
signal between processes to miss, and a read costs no query in between. With a ``version``
(a cheap read: a counter row bumped in the transaction of each change) a look rebuilds the copy
only when the version moved; without one every look rebuilds it (a small set, such as the
running mutes).

The process that made a change looks again at its next read (``expire``, after the commit).
The state is one tuple, replaced whole, so a reader takes no lock while the copy is fresh; when
it is due for a look, one thread at a time looks (and rebuilds if the version moved), and the
others due at that moment wait for its answer rather than serve the copy it is replacing: a
client told of a change (live operations push ``liveops_changed`` once every process's copy is
due) refetches with every other client at once, and each must read the change. Reads run on
database worker threads.
"""

import math
import threading
import time
from collections.abc import Callable
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")
NEVER = object()  # the version of a copy never built


class _State(NamedTuple):
    value: object
    version: object
    checked_at: float


class ProcessCopy(Generic[T]):
    def __init__(
        self,
        build: Callable[[], T],
        *,
        empty: T,
        version: Callable[[], object] | None = None,
        every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.build, self.read_version, self.every, self.clock = build, version, every, clock
        self.initial = _State(empty, NEVER, -math.inf)
        self.state = self.initial
        self.lock = threading.Lock()

    def get(self) -> T:
        """The copy, at most ``every`` seconds behind the database."""
        state = self.state
        if self.clock() - state.checked_at < self.every:
            return state.value
        with self.lock:  # another thread may be looking: its answer, not the copy it replaces
            return self._look().value

    def _look(self) -> _State:
        state, now = self.state, self.clock()
        if now - state.checked_at < self.every:
            return state  # looked at while this thread waited for the lock
        if self.read_version is None:
            self.state = _State(self.build(), None, now)
            return self.state
        version = self.read_version()  # before the rows: a change in between is seen next time
        value = state.value if version == state.version else self.build()
        self.state = _State(value, version, now)
        return self.state

    def refresh(self) -> T:
        """Look at the database now, whenever the last look was (tests; a management shell)."""
        with self.lock:
            self.state = self.state._replace(checked_at=-math.inf)
            return self._look().value

    def expire(self) -> None:
        """Look again at the next read: the process that made a change sees it at once."""
        self.state = self.state._replace(checked_at=-math.inf)

    def forget(self) -> None:
        """Drop the copy: the next read builds it again (tests)."""
        with self.lock:
            self.state = self.initial

"""A bounded memory of the most recently used keys, for a process's caches of derived values.

``Recent(most)`` maps keys to values and keeps at most ``most`` of them: adding one more forgets
the least recently used. What it holds must be derivable again (a cache, or a note that saves a
write the database would ignore anyway), since a restart, another process or the bound forgets it.
Safe to share between a process's threads.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


class Recent(Generic[K, V]):
    def __init__(self, most: int):
        if most < 1:
            raise ValueError("a Recent keeps at least one key")
        self.most = most
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, default=None):
        with self._lock:
            value = self._items.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.most:
                self._items.popitem(last=False)

    def new(self, keys) -> list[K]:
        """The ``keys`` not held, now held (with the value None); the held ones made recent."""
        fresh = []
        with self._lock:
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                else:
                    self._items[key] = None
                    fresh.append(key)
            while len(self._items) > self.most:
                self._items.popitem(last=False)
        return fresh

    def forget(self, keys) -> None:
        with self._lock:
            for key in keys:
                self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

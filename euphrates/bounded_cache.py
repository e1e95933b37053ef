"""A bounded least-recently-used cache that threads share, for values made from hashable keys whose inputs are
not hashable themselves (a day's areas, a folium group): `functools.lru_cache` cannot take those."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

Value = TypeVar("Value")


class BoundedCache(Generic[Value]):
    """`get(key, make)`: the value for `key`, made by `make()` the first time; the least recently used entries go
    beyond `max_entries`. Two threads missing the same key may both make it; the last one stays."""

    def __init__(self, max_entries: int):
        self._entries: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self.hits = self.misses = 0

    def get(self, key: Hashable, make: Callable[[], Value]) -> Value:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        value = make()  # outside the lock: other keys need not wait for this one
        with self._lock:
            self.misses += 1
            self._entries[key] = value
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value

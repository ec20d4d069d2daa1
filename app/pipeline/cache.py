"""A small in-memory cache bounded by entries, by bytes and by age: least recently used goes first.

Telemetry decides what goes in (command lines of any length), so a cache that only counts entries can
still hold gigabytes; one that never forgets holds everything for the life of the process."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Hashable


def text_size(value) -> int:
    """Roughly the memory a cached value holds: the length of its strings (nested dicts, lists, tuples)."""
    if isinstance(value, str):
        return len(value) + 50
    if isinstance(value, dict):
        return 64 + sum(text_size(k) + text_size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return 56 + sum(text_size(v) for v in value)
    return 32


class BoundedCache:
    def __init__(self, max_entries: int, max_bytes: int, ttl_s: float, *, size: Callable[[object], int] = text_size,
                 monotonic: Callable[[], float] = time.monotonic):
        self.max_entries, self.max_bytes, self.ttl_s = max_entries, max_bytes, ttl_s
        self._size, self._monotonic = size, monotonic
        self._items: OrderedDict[Hashable, tuple[float, int, object]] = OrderedDict()
        self.bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, default=None):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return default
            if self._monotonic() - item[0] > self.ttl_s:
                self._drop(key)
                return default
            self._items.move_to_end(key)
            return item[2]

    def put(self, key: Hashable, value) -> None:
        size = self._size(value)
        with self._lock:
            if key in self._items:
                self._drop(key)
            if size > self.max_bytes:
                return                      # larger than the whole cache: not kept
            self._items[key] = (self._monotonic(), size, value)
            self.bytes += size
            while len(self._items) > self.max_entries or self.bytes > self.max_bytes:
                self._drop(next(iter(self._items)))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def _drop(self, key: Hashable) -> None:
        _, size, _ = self._items.pop(key)
        self.bytes -= size

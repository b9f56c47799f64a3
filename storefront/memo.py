"""Per-process caches with a lifetime, for reads that may be a minute stale (counts, search, suggest).

Each web process keeps its own entries; nothing is shared between processes or invalidated on
writes, so every cache must hold only what a page may show up to ``seconds`` late. The lifetime
of all of them is set once from ``CATEGORY_CACHE_SECONDS`` (0 in tests: no caching at all).

A full cache drops its least recently used entry: a long tail of new searches fills the search caches within
minutes, and must not push out the popular queries' entries that are read on every other request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

_all: list[TimedCache] = []


class TimedCache:
    """A dict of ``key → (expires, value)`` bounded to ``max_entries``, least recently used first out."""

    seconds: float = 0.0

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        # Insertion order is the order of use: a hit moves its entry to the end.
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()  # the development server's threads share the caches
        _all.append(self)

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        if self.seconds <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            hit = self._entries.pop(key, None)
            if hit is not None and hit[0] > now:
                self._entries[key] = hit
                return hit[1]
        value = compute()
        with self._lock:
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


def configure(seconds: float) -> None:
    """Set the lifetime of every cache and empty them."""
    TimedCache.seconds = seconds
    for cache in _all:
        cache.clear()

"""Per-process caches with a lifetime, for reads that may be a minute stale (counts, search, suggest).

Each web process keeps its own entries; nothing is shared between processes or invalidated on
writes, so every cache must hold only what a page may show up to ``seconds`` late. The lifetime
of all of them is set once from ``CATEGORY_CACHE_SECONDS`` (0 in tests: no caching at all).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

_all: list[TimedCache] = []


class TimedCache:
    """A dict of ``key → (expires, value)`` bounded to ``max_entries`` (emptied when full)."""

    seconds: float = 0.0

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        _all.append(self)

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        if self.seconds <= 0:
            return compute()
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = compute()
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # simpler than LRU, and a full cache is rare: keys are few and popular
        self._entries[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


def configure(seconds: float) -> None:
    """Set the lifetime of every cache and empty them."""
    TimedCache.seconds = seconds
    for cache in _all:
        cache.clear()

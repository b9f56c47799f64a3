"""The per-process caches: a lifetime, a bound, and which entry a full cache gives up."""

from __future__ import annotations

import threading

import pytest

from storefront import memo
from storefront.memo import TimedCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(memo.time, "monotonic", clock)
    return clock


def _cache(max_entries: int, seconds: float = 60) -> tuple[TimedCache, list[str]]:
    cache = TimedCache(max_entries=max_entries)
    cache.seconds = seconds
    return cache, []


def _read(cache: TimedCache, computed: list[str], key: str) -> str:
    def compute() -> str:
        computed.append(key)
        return key.upper()

    return cache.get(key, compute)


def test_an_entry_is_computed_once_within_its_lifetime_and_again_after_it(clock: Clock) -> None:
    cache, computed = _cache(10, seconds=60)
    assert _read(cache, computed, "a") == "A"
    clock.now += 59
    assert _read(cache, computed, "a") == "A"
    clock.now += 2
    assert _read(cache, computed, "a") == "A"
    assert computed == ["a", "a"]


def test_a_zero_lifetime_caches_nothing(clock: Clock) -> None:
    cache, computed = _cache(10, seconds=0)
    _read(cache, computed, "a")
    _read(cache, computed, "a")
    assert computed == ["a", "a"]


def test_a_full_cache_gives_up_the_least_recently_used_entry(clock: Clock) -> None:
    cache, computed = _cache(3)
    for key in "abc":
        _read(cache, computed, key)
    _read(cache, computed, "a")  # a hit: «a» is now the most recently used
    _read(cache, computed, "d")  # full: «b» goes
    computed.clear()
    for key in "acd":
        _read(cache, computed, key)
    assert computed == []
    _read(cache, computed, "b")
    assert computed == ["b"]


def test_a_popular_entry_outlives_a_long_tail_of_new_keys(clock: Clock) -> None:
    """The search caches' case: a popular query read between ever new ones stays cached, however many come."""
    cache, computed = _cache(5)
    for number in range(100):
        _read(cache, computed, "popular")
        _read(cache, computed, f"new {number}")
    assert computed.count("popular") == 1
    assert len(cache._entries) == 5


def test_threads_sharing_a_full_cache_never_fail(clock: Clock) -> None:
    cache, computed = _cache(8)
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for number in range(2000):
                _read(cache, computed, str((number * 7 + offset) % 40))
        except BaseException as error:  # noqa: BLE001 - any failure in a thread is the test's failure
            failures.append(error)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(cache._entries) <= 8

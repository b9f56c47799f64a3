"""The YML reader streams: memory stays flat however large the feed, pretty-printed or on one line."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator

import pytest

from storefront.feeds.reader import read_yml

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>{nl}<yml_catalog date="2026-11-25 10:00">{nl}<shop>{nl}'
    "<company>Иу Синьхуа Трейдинг</company>{nl}"
    '<currencies><currency id="RUR" rate="1"/></currencies>{nl}'
    '<categories><category id="1">Обувь</category></categories>{nl}<offers>{nl}'
)
OFFER = (
    '<offer id="S{n}" available="true">{nl}<name>Кроссовки мужские беговые, модель {n}</name>{nl}'
    "<price>{price}</price><currencyId>RUR</currencyId><categoryId>1</categoryId>{nl}"
    "<description>Лёгкие кроссовки из дышащей сетки для бега и прогулок, подошва из ЭВА, "
    "размеры с 39 по 46, упаковка по 10 пар, отгрузка со склада в Иу</description>{nl}"
    '<param name="Цвет">чёрный</param><param name="Материал">сетка</param>{nl}</offer>{nl}'
)
TAIL = "</offers>{nl}</shop>{nl}</yml_catalog>{nl}"


class GeneratedFeed(io.RawIOBase):
    """A feed of ``count`` offers produced while it is read: the whole file never exists at once."""

    def __init__(self, count: int, newline: str) -> None:
        self.size = 0
        self._pieces = self._generate(count, newline)
        self._pending = b""

    def _generate(self, count: int, newline: str) -> Iterator[bytes]:
        yield HEAD.format(nl=newline).encode()
        for n in range(count):
            yield OFFER.format(n=n, price=1000 + n, nl=newline).encode()
        yield TAIL.format(nl=newline).encode()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while len(self._pending) < len(buffer):
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._pending += piece
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        self.size += size
        return size


@pytest.mark.parametrize(("newline", "lines_per_offer"), [("\n", 6), ("", 0)], ids=["pretty", "one-line"])
def test_a_large_feed_is_read_in_flat_memory(newline, lines_per_offer):
    count = 12_000
    stream = GeneratedFeed(count, newline)
    tracemalloc.start()
    try:
        head, offers = read_yml(io.BufferedReader(stream))
        seen = last = None
        for seen, last in enumerate(offers, start=1):  # noqa: B007 - the loop only counts
            assert last.broken is None
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert head.company == "Иу Синьхуа Трейдинг"
    assert seen == count
    assert (last.offer_id, last.price) == (f"S{count - 1}", str(1000 + count - 1))
    assert last.line == 8 + (count - 1) * lines_per_offer if newline else last.line == 1
    assert stream.size > 6_000_000  # the feed was over 6 MB …
    assert peak < 1_500_000  # … and reading it never held more than a few chunks

"""The YML reader streams: memory stays flat however large the feed, pretty-printed or on one line."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator

import pytest

from storefront.feeds.reader import MAX_OFFER_CHARS, OFFER_TOO_LARGE, read_yml

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


class OneHugeOffer(GeneratedFeed):
    """Offer «a», then offer «big» with ``size`` bytes of ``<param>`` lines (``closed``: with its ``</offer>``),
    then offer «c»; produced while read."""

    def __init__(self, size: int, closed: bool = True) -> None:
        param = '<param name="Состав">{}</param>\n'.format("хлопок " * 500).encode()
        self.params = size // len(param)
        self.size, self._pending = 0, b""
        self._pieces = iter(
            [
                HEAD.format(nl="\n").encode(),
                b'<offer id="a"><name>A</name><price>1</price></offer>\n<offer id="big">\n<name>B</name>\n',
                *([param] * self.params),
                *([b"</offer>\n"] if closed else []),
                b'<offer id="c"><name>C</name><price>3</price></offer>\n',
                TAIL.format(nl="\n").encode(),
            ]
        )


@pytest.mark.parametrize("closed", [True, False], ids=["closed", "never-closed"])
def test_an_offer_over_the_limit_is_reported_and_skipped_in_flat_memory(closed: bool) -> None:
    """A 40 MB offer took ~27 s: its text was searched again for every chunk added. Now it is refused once it
    passes MAX_OFFER_CHARS and its text is dropped as it streams past."""
    stream = OneHugeOffer(40_000_000, closed)
    tracemalloc.start()
    try:
        _head, offers = read_yml(io.BufferedReader(stream))
        found = [(offer.offer_id, offer.broken, offer.line) for offer in offers]
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    big_line = 9
    after = big_line + 2 + stream.params + (1 if closed else 0)
    assert found == [("a", None, 8), ("big", OFFER_TOO_LARGE, big_line), ("c", None, after)]
    assert peak < 4 * MAX_OFFER_CHARS * 2  # a few copies of the limit (Cyrillic: 2 bytes a character), not 40 MB


def test_a_large_offer_under_the_limit_is_read_whole() -> None:
    stream = OneHugeOffer(MAX_OFFER_CHARS // 2)
    _head, offers = read_yml(io.BufferedReader(stream))
    found = {offer.offer_id: offer for offer in offers}
    assert [offer.broken for offer in found.values()] == [None, None, None]
    assert found["big"].params["Состав"].startswith("хлопок хлопок")
    assert found["c"].line == 9 + 2 + stream.params + 1


def test_the_import_report_names_the_oversized_offer(app) -> None:  # type: ignore[no-untyped-def]
    from storefront.feeds.cli import problem_text
    from storefront.feeds.services import OfferProblem, Problem

    with app.test_request_context(headers={"Accept-Language": "ru"}):
        text = problem_text(OfferProblem(9, "big", Problem.TOO_LARGE, str(MAX_OFFER_CHARS)))
    assert text == "Строка 9, предложение big: предложение длиннее 1000000 символов. Пропущено."


def test_a_feed_declaring_entities_is_not_a_feed() -> None:
    from storefront.feeds.reader import NotAFeed

    feed = (
        '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE yml_catalog [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><yml_catalog><shop><company>&b;</company><offers>'
        '<offer id="a"><name>A</name></offer></offers></shop></yml_catalog>'
    )
    with pytest.raises(NotAFeed, match="entity"):
        read_yml(io.BytesIO(feed.encode()))

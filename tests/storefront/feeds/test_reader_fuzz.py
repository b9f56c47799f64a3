"""Property tests of the streaming YML reader: any bytes give offers or ``NotAFeed`` (never another exception),
and how the text is cut into chunks never changes what is read."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storefront.feeds import reader
from storefront.feeds.reader import NotAFeed, read_yml

FUZZ = settings(max_examples=150, deadline=None)
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog><shop><company>Иу</company><offers>\n'
TAIL = "</offers></shop></yml_catalog>\n"
PIECES = [
    '<offer id="a">',
    '<offer id="b" available="false">',
    "<offer>",
    "</offer>",
    "<name>Кроссовки</name>",
    "<price>10,5</price>",
    '<param name="Цвет">чёрный</param>',
    "<picture>https://x.ru/1.jpg</picture>",
    "<![CDATA[<b>",
    "]]>",
    "<description>",
    "</description>",
    "&amp;",
    "&nbsp;",
    "&#0;",
    "<",
    ">",
    "\n",
    "</offers>",
    "<offers>",
    '<delivery-options><option days="1-3"/></delivery-options>',
    "<!-- x -->",
    "<?pi?>",
    "\x00",
]
bodies = st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=40).map("".join)


def _read(data: bytes, chunk: int) -> list[tuple[object, ...]] | str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "CHUNK_CHARS", chunk)
        try:
            head, offers = read_yml(io.BytesIO(data))
            return [(o.line, o.offer_id, o.broken, o.name, o.price, tuple(o.params.items())) for o in offers]
        except NotAFeed as refused:
            return f"not a feed: {refused}"


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_are_offers_or_not_a_feed(data: bytes) -> None:
    _read(data, 64)


@FUZZ
@given(bodies, st.integers(min_value=1, max_value=97))
def test_chunk_size_never_changes_what_is_read(body: str, chunk: int) -> None:
    data = (HEAD + body + TAIL).encode()
    assert _read(data, chunk) == _read(data, 1 << 20)


@FUZZ
@given(bodies, st.integers(min_value=20, max_value=200))
def test_an_offer_over_the_limit_is_reported_whatever_the_chunks(body: str, limit: int) -> None:
    data = (HEAD + '<offer id="big"><name>' + "я" * (limit + 1) + "</name></offer>" + body + TAIL).encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "MAX_OFFER_CHARS", limit)
        read = _read(data, 16)
    assert not isinstance(read, str) and read[0][1:3] == ("big", reader.OFFER_TOO_LARGE)


@pytest.mark.parametrize("chunk", [1, 9, 64, 1 << 20])
def test_nothing_after_the_end_of_the_offer_list_is_an_offer(chunk: int) -> None:
    """Found by the chunk-size property: with the whole text in one chunk, an «<offer» after «</offers>» was read
    as an offer the file ended inside; cut into small chunks it was (rightly) not."""
    data = (HEAD + '<offer id="z"><name>Z</name></offer></offers><offer id="a">' + TAIL).encode()
    assert [offer[1:3] for offer in _read(data, chunk)] == [("z", None)]

"""Property tests of the streaming YML reader: any bytes give offers or ``NotAFeed`` (never another exception),
and how the text is cut into chunks never changes what is read."""

from __future__ import annotations

import io

import pytest
from hypothesis import example, given, settings
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


#: Pieces of an offer that make its key values hard to read off the text: attributes holding «>» or «id=»,
#: repeated or nested tags, entities, CDATA, comments, blanks and line ends, self-closing tags.
OFFER_PIECES = [
    "<categoryId>7</categoryId>",
    "<categoryId> 7 </categoryId>",
    "<categoryId></categoryId>",
    "<categoryId>\n7</categoryId>",
    "<categoryId><![CDATA[8]]></categoryId>",
    "<categoryId>&#55;</categoryId>",
    "<vendorCode>AB-1</vendorCode>",
    "<vendorCode>AB&amp;1</vendorCode>",
    "<vendorCode/>",
    "<vendorCode>AB<!-- x -->-1</vendorCode>",
    '<supplier city="Иу">Иу Синьхуа</supplier>',
    '<supplier city="a>b">Нинбо</supplier>',
    "<supplier>  </supplier>",
    '<supplier city="x"/>',
    "<supplier >Гуанчжоу</supplier >",
    "<extra><vendorCode>NESTED</vendorCode></extra>",
    "<description><![CDATA[<categoryId>9</categoryId><vendorCode>C</vendorCode>]]></description>",
    "<!-- <supplier>Скрытый</supplier> -->",
    "<name>Кроссовки</name>",
    "<price>10</price>",
    "\u00a0",
    " ",
    "\n",
    "<",
    "&amp;",
]
OFFER_STARTS = [
    '<offer id="a">',
    "<offer id='b' available=\"false\">",
    '<offer id=" c ">',
    '<offer available="x id=\'no\'" id="d">',
    '<offer id="e" id="f">',
    '<offer id="g\th">',
    '<offer data-id="i">',
    "<offer>",
    '<offer id="j&amp;k">',
    '<offer\nid="l"\n>',
]
offers = st.tuples(
    st.sampled_from(OFFER_STARTS), st.lists(st.sampled_from(OFFER_PIECES) | st.text(max_size=4), max_size=8)
).map(lambda parts: parts[0] + "".join(parts[1]) + "</offer>")


@settings(max_examples=600, deadline=None)
@given(offers)
@example('<offer id="a"><extra><vendorCode>NESTED</vendorCode></extra><vendorCode>AB-1</vendorCode></offer>')
@example('<offer available="x id=\'no\'" id="d"><categoryId>7</categoryId></offer>')
@example('<offer id="a"><supplier city="a>b">Нинбо</supplier><categoryId>7</categoryId></offer>')
@example('<offer id="a"><description><![CDATA[<categoryId>9</categoryId>]]></description></offer>')
def test_an_offer_read_off_its_text_has_the_values_parsing_gives(chunk: str) -> None:
    """A re-import decides which offers are unchanged on values read off their text (``skim_yml``); wherever that
    reading is offered, it is exactly what parsing gives. (An offer that does not parse is parsed and reported
    before anything is written for it, whatever was read off its text.)"""
    parsed = reader._parsed(chunk, 3)
    skimmed = reader._skimmed(chunk, 3)
    if isinstance(skimmed, reader.OfferText) and parsed.broken is None:
        read = (skimmed.offer_id, skimmed.category_id, skimmed.vendor_code, skimmed.supplier)
        assert read == (parsed.offer_id, parsed.category_id, parsed.vendor_code, parsed.supplier)
        assert skimmed.parse() == parsed and skimmed.line == 3
    elif not isinstance(skimmed, reader.OfferText):
        assert skimmed == parsed


def test_usual_offers_are_read_off_their_text_and_unusual_ones_parsed() -> None:
    plain = (
        '<offer id="12346" available="true"><url>https://x.ru/p?a=1&amp;b=2</url><price>10</price>'
        '<categoryId>7</categoryId><vendorCode>AB-1</vendorCode><supplier city="Иу">Иу Синьхуа</supplier>'
        "<description><![CDATA[<p>Хлопок &amp; лён</p>]]></description></offer>"
    )
    skimmed = reader._skimmed(plain, 1)
    assert isinstance(skimmed, reader.OfferText)
    assert (skimmed.offer_id, skimmed.category_id, skimmed.vendor_code, skimmed.supplier) == (
        "12346",
        "7",
        "AB-1",
        "Иу Синьхуа",
    )
    entity = plain.replace("AB-1", "AB&amp;1")
    assert isinstance(reader._skimmed(entity, 1), reader.RawOffer)  # parsed: «&amp;» reads as «&»

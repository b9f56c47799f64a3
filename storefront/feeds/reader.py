"""Reading supplier feeds: YML (Yandex Market Language) and the CSV variant, streamed.

Both readers turn a file into the same plain records (``FeedCategory``, ``RawOffer``); checking
and saving them is ``feeds.services``' job. Nothing here touches the database.

YML is read in pieces rather than as one tree: the head (``shop`` up to ``<offers>``: company,
currencies, categories) is parsed once, then each ``<offer>…</offer>`` is cut out of the text
stream and parsed on its own. Memory stays flat on a million offers, and broken XML inside one
offer costs only that offer (reported with its line), not the whole file. For an import, ``skim_yml`` leaves an
offer unparsed when its id, category, vendorCode and supplier can be read off its text exactly: a re-import
parses only the offers that changed.

Wholesale extension elements inside ``<offer>`` (ignored by Yandex, documented in the README):

    <min-quantity>50</min-quantity>                      MOQ (also a standard YML element)
    <stock>1200</stock>                                   units ready to ship
    <lead-time-days>15</lead-time-days>                   days to make when out of stock
    <supplier city="Иу">Иу Синьхуа Трейдинг</supplier>    the seller, when not the shop itself
    <price-breaks currency="USD">                         source-currency unit prices by quantity
      <break min-quantity="1">10.00</break>
      <break min-quantity="50">8.50</break>
    </price-breaks>

A plain offer without them imports with supplier = ``shop/company``, ``price`` as the 1+ break, MOQ 1.

Standard YML read as Yandex Market documents it (yandex.ru/support/partnermarket, «offers.html»,
«export/vendor-model.html», «elements/id-type-available.html»):

* ``type="vendor.model"`` offers have no ``<name>``: the name is built as
  ``typePrefix + vendor + model`` («Product type + brand + model»; ``typePrefix`` is optional,
  ``vendor`` and ``model`` are required for that type).
* ``<picture>`` may repeat (up to 10 URLs); every URL is kept, in order.
* ``<description>`` may hold HTML inside CDATA; it is kept as written here and sanitised on import.
* ``available="false"`` means the delivery period is not set («up to 60 days»/to order); a lead
  time is taken only from the offer's ``<delivery-options><option days="…"/>`` (a number or a range
  such as ``1-3``, the upper bound kept; an empty value or 32+ means unknown) or our
  ``<lead-time-days>``.
* ``<param name="…" unit="…">`` keeps its unit after the value («5.6 дюйм»).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9_.-]+)["']""")
_OFFER_START = re.compile(r"<offer[\s>/]")
_OFFER_END = "</offer>"
_OFFERS_OPEN = re.compile(r"<offers(\s[^>]*)?>")


class NotAFeed(ValueError):
    """The file is not a YML catalogue or a CSV offer list at all; nothing is imported."""


@dataclass
class FeedCategory:
    id: str
    name: str
    parent_id: str | None = None


@dataclass
class RawOffer:
    """One offer as written in the feed: all values are still text."""

    line: int
    offer_id: str | None = None
    available: str | None = None
    name: str | None = None
    price: str | None = None
    currency: str | None = None
    category_id: str | None = None
    vendor: str | None = None
    vendor_code: str | None = None
    description: str | None = None
    #: ``type`` attribute (``vendor.model`` or none) and the vendor.model name parts.
    type: str | None = None
    type_prefix: str | None = None
    model: str | None = None
    picture_urls: list[str] = field(default_factory=list)
    #: Days from the offer's ``<delivery-options>`` (``days`` of its fastest option), unparsed.
    delivery_days: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    moq: str | None = None
    stock: str | None = None
    lead_time_days: str | None = None
    supplier: str | None = None
    supplier_city: str | None = None
    breaks_currency: str | None = None
    breaks: list[tuple[str, str]] = field(default_factory=list)
    #: Set when the offer could not even be read (broken XML); the offer is reported and skipped.
    broken: str | None = None
    #: The offer's XML as written (YML; None for CSV): what a re-import fingerprints to skip an unchanged offer.
    source: str | None = field(default=None, compare=False, repr=False)


@dataclass
class OfferText:
    """A YML offer cut out of the feed but not parsed: its text and the values a re-import needs to tell whether it
    is unchanged (``skim_yml``), each what ``parse`` gives for it (when the text parses at all; when it does not,
    the import parses it before anything is written for it). ``parse`` gives the ``RawOffer``."""

    line: int
    source: str
    offer_id: str | None
    category_id: str | None
    vendor_code: str | None
    supplier: str | None
    #: Never broken: an offer whose text may not parse is parsed at once (``_skimmed``).
    broken: None = None

    def parse(self) -> RawOffer:
        return _parsed(self.source, self.line)


@dataclass
class FeedHead:
    company: str | None
    currencies: dict[str, str]
    categories: list[FeedCategory]
    _by_id: dict[str, FeedCategory] = field(default_factory=dict, repr=False)

    def find_category(self, feed_id: str) -> FeedCategory | None:
        if len(self._by_id) != len(self.categories):  # the CSV reader adds categories as it goes
            self._by_id = {category.id: category for category in self.categories}
        return self._by_id.get(feed_id)


def sniff_encoding(head: bytes) -> str:
    """The encoding named by the XML declaration (UTF-8 or Windows-1251 in practice); UTF-8 by default."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    found = _ENCODING.search(head[:300])
    name = found.group(1).decode("ascii") if found else "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise NotAFeed(f"unknown encoding {name}") from exc


def _text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip()


#: ``days="2"`` or ``days="1-3"`` (YML delivery-options); anything else (empty, «32», text) is unknown.
_DAYS = re.compile(r"^\s*(\d{1,2})\s*(?:-\s*(\d{1,2})\s*)?$")


def _delivery_days(element: ET.Element) -> str | None:
    """The shortest upper bound of the offer's delivery options, in days, or None when none is known.

    Yandex treats ``days`` of 32 and more, or empty, as «on order» without a date: not a lead time.
    """
    found: list[int] = []
    for option in element.findall("delivery-options/option"):
        match = _DAYS.match(option.get("days") or "")
        if match:
            days = int(match.group(2) or match.group(1))
            if days <= 31:
                found.append(days)
    return str(min(found)) if found else None


def _offer_from_element(element: ET.Element, line: int) -> RawOffer:
    pictures = [text for text in ((picture.text or "").strip() for picture in element.findall("picture")) if text]
    offer = RawOffer(
        line=line,
        offer_id=(element.get("id") or "").strip() or None,
        available=element.get("available"),
        name=_text(element, "name"),
        price=_text(element, "price"),
        currency=_text(element, "currencyId"),
        category_id=_text(element, "categoryId"),
        vendor=_text(element, "vendor"),
        vendor_code=_text(element, "vendorCode"),
        description=_text(element, "description"),
        type=(element.get("type") or "").strip() or None,
        type_prefix=_text(element, "typePrefix"),
        model=_text(element, "model"),
        picture_urls=pictures,
        delivery_days=_delivery_days(element),
        moq=_text(element, "min-quantity"),
        stock=_text(element, "stock"),
        lead_time_days=_text(element, "lead-time-days"),
    )
    for param in element.findall("param"):
        name, value = (param.get("name") or "").strip(), (param.text or "").strip()
        if name and value:
            unit = (param.get("unit") or "").strip()
            offer.params[name] = f"{value} {unit}" if unit else value
    supplier = element.find("supplier")
    if supplier is not None:
        offer.supplier = (supplier.text or "").strip() or None
        offer.supplier_city = (supplier.get("city") or "").strip() or None
    breaks = element.find("price-breaks")
    if breaks is not None:
        offer.breaks_currency = breaks.get("currency")
        offer.breaks = [(b.get("min-quantity") or "", (b.text or "").strip()) for b in breaks.findall("break")]
    return offer


def _parse_head(text: str) -> FeedHead:
    try:
        # Real feeds name «shops.dtd» (never fetched); an entity declared in the file is refused.
        root = safe_fromstring(text + "</shop></yml_catalog>")
    except DefusedXmlException as exc:
        raise NotAFeed("entity declarations are not accepted") from exc
    except ET.ParseError as exc:
        raise NotAFeed(f"the catalogue header is not valid XML: {exc}") from exc
    shop = root.find("shop")
    if root.tag != "yml_catalog" or shop is None:
        raise NotAFeed("no yml_catalog/shop element")
    currencies = {
        (currency.get("id") or "").upper(): currency.get("rate") or "1"
        for currency in shop.findall("currencies/currency")
    }
    categories = [
        FeedCategory(
            id=(category.get("id") or "").strip(),
            name=(category.text or "").strip(),
            parent_id=(category.get("parentId") or "").strip() or None,
        )
        for category in shop.findall("categories/category")
    ]
    return FeedHead(company=_text(shop, "company") or _text(shop, "name"), currencies=currencies, categories=categories)


def read_yml(stream: BinaryIO) -> tuple[FeedHead, Iterator[RawOffer]]:
    """The feed's head, and an iterator over its offers (read lazily from ``stream``).

    The text is read in fixed-size chunks, not lines: generated feeds often come on one line.
    """
    return _read_yml(stream, _parsed)


def skim_yml(stream: BinaryIO) -> tuple[FeedHead, Iterator[RawOffer | OfferText]]:
    """``read_yml`` for a re-import: an offer whose key values can be read off its text exactly comes unparsed
    (``OfferText``), since most offers of a re-import are unchanged and need no more than those values."""
    return _read_yml(stream, _skimmed)


def _read_yml(stream: BinaryIO, cut: Callable[[str, int], Any]) -> tuple[FeedHead, Iterator[Any]]:
    first = stream.read(512)
    encoding = sniff_encoding(first)
    if b"<yml_catalog" not in first and b"<yml_catalog" not in first.decode(encoding, "ignore").encode():
        raise NotAFeed("no <yml_catalog> at the start of the file")
    text = io.TextIOWrapper(_Prepend(first, stream), encoding=encoding, errors="replace", newline="")
    chunks = iter(lambda: text.read(CHUNK_CHARS), "")
    head = ""
    for chunk in chunks:
        searched_from = max(0, len(head) - 32)  # «<offers>» may straddle two chunks
        head += chunk
        found = _OFFERS_OPEN.search(head, searched_from)
        if found:
            break
    else:
        raise NotAFeed("no <offers> element")
    head_text = re.sub(r"^<\?xml[^>]*\?>", "", head[: found.start()].lstrip("\ufeff").lstrip())
    first_line = 1 + head.count("\n", 0, found.end())
    return _parse_head(head_text), _offers(head[found.end() :], first_line, chunks, cut)


#: Characters read at a time: big enough to hold many offers, small enough to keep memory flat.
CHUNK_CHARS = 64 * 1024
#: The largest offer read, in characters: a real one is a few kilobytes (ten pictures, a long description).
#: A larger one is reported (``OFFER_TOO_LARGE``) and skipped without being held in memory.
MAX_OFFER_CHARS = 1_000_000
OFFER_TOO_LARGE = "too large"
#: How far back the search for ``</offer>`` or the next ``<offer`` resumes after more text is added (a tag may
#: straddle two chunks).
_OVERLAP = 16


def _offers(buffer: str, line: int, chunks: Iterator[str], cut: Callable[[str, int], Any]) -> Iterator[Any]:
    """Cut each ``<offer>…</offer>`` out of the text and hand it to ``cut`` (``_parsed``: parse it on its own).

    ``buffer[position:]`` is the unread text and ``line`` the line number at ``position``. While an offer is
    open, ``resume`` is where the search for its end continues after a chunk is added, so each character is
    searched once (searching the whole offer again per chunk made one 40 MB offer take half a minute); an offer
    over ``MAX_OFFER_CHARS`` is reported and its text dropped as it streams past.
    """
    position = resume = 0
    while True:
        begin = _OFFER_START.search(buffer, position)
        if begin is None:
            if buffer.find("</offers>", position) != -1:
                return
            keep = max(position, len(buffer) - _OVERLAP)  # the start of a tag may be cut off by the chunk
            line += buffer.count("\n", position, keep)
            position = keep
        else:
            if buffer.find("</offers>", position, begin.start()) != -1:
                return  # the list has ended: what follows is not an offer, however the text was cut into chunks
            line += buffer.count("\n", position, begin.start())
            position = begin.start()
            look = max(begin.end(), resume)
            end = buffer.find(_OFFER_END, look)
            following = _OFFER_START.search(buffer, look)
            if following is not None and (end == -1 or following.start() < end):
                stop = following.start()
                yield _broken(buffer[position:stop], line, "no closing </offer>")
                line, position, resume = line + buffer.count("\n", position, stop), stop, 0
                continue
            if end != -1:
                stop = end + len(_OFFER_END)
                yield cut(buffer[position:stop], line)
                line, position, resume = line + buffer.count("\n", position, stop), stop, 0
                continue
            if len(buffer) - position > MAX_OFFER_CHARS:
                yield _broken(buffer[position : position + 1000], line, OFFER_TOO_LARGE)
                skipped = _skip_offer(buffer, position, look, line, chunks)
                if skipped is None:
                    return
                buffer, position, line = skipped
                resume = 0
                continue
            resume = max(position, len(buffer) - _OVERLAP)
        more = next(chunks, None)
        if more is None:
            if begin is not None:
                yield _broken(buffer[position:], line, "the file ends inside this offer")
            return
        buffer, resume, position = buffer[position:] + more, resume - position, 0


def _parsed(chunk: str, line: int) -> RawOffer:
    if len(chunk) > MAX_OFFER_CHARS:
        return _broken(chunk[:1000], line, OFFER_TOO_LARGE)
    try:
        offer = _offer_from_element(ET.fromstring(chunk), line)
    except ET.ParseError as exc:
        return _broken(chunk, line, str(exc))
    offer.source = chunk
    return offer


#: What ``_skimmed`` hides before looking for tags: CDATA sections and comments (their text is no element).
_UNMARKED = re.compile(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.DOTALL)
#: A start tag's attributes, one at a time (a quoted value may hold «>»).
_ATTRIBUTE = re.compile(r"""\s+([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TAG_END = re.compile(r"\s*(/?)>")
#: The values a re-import needs besides the offer id (``services._unchanged_offers``): each tag, as it opens and
#: as it closes.
_SKIMMED_TAGS = tuple((tag, f"<{tag}", f"</{tag}>") for tag in ("categoryId", "vendorCode", "supplier"))
#: What may follow a tag's name.
_AFTER_NAME = frozenset(" \t\n\r/>")
#: A value holding any of these might read otherwise when parsed (an entity, markup, a normalised line end).
_UNSURE = re.compile(r"[&<\r\t\n]")


def _start_tag(text: str, position: int) -> tuple[dict[str, str], bool, int] | None:
    """The attributes of the start tag whose name ends at ``position``, whether it closes itself, and where it
    ends; None when it is not plainly written (a repeated attribute, a value that would read otherwise)."""
    attributes: dict[str, str] = {}
    while found := _ATTRIBUTE.match(text, position):
        value = found.group(2) if found.group(2) is not None else found.group(3)
        if found.group(1) in attributes or _UNSURE.search(value):
            return None
        attributes[found.group(1)] = value
        position = found.end()
    closing = _TAG_END.match(text, position)
    return None if closing is None else (attributes, closing.group(1) == "/", closing.end())


def _open_elements(text: str, start: int, position: int) -> int:
    """How many elements opened between ``start`` and ``position`` are still open there, counting tags: every «<»
    opens one but «</» (closing), «<!>» (``_UNMARKED``) and «/>» (closing itself: ``_self_closing_tags_only``)."""
    opened = text.count("<", start, position) - 2 * text.count("</", start, position)
    return opened - text.count("<!>", start, position) - text.count("/>", start, position)


def _child_text(text: str, start: int, opening: str, closing: str) -> tuple[bool, str | None]:
    """(sure, the text of the offer's first child that ``opening`` opens: None when there is none or it has no
    text), as ``ElementTree.find`` gives it; the offer's children begin at ``start``."""
    position = text.find(opening, start)
    while position != -1:
        after = position + len(opening)
        if text[after : after + 1] in _AFTER_NAME and not _open_elements(text, start, position):
            if text.startswith(">", after):
                closes_itself, end_of_tag = False, after + 1
            elif (start_tag := _start_tag(text, after)) is not None:
                _attributes, closes_itself, end_of_tag = start_tag
            else:
                return False, None
            if closes_itself:
                return True, None
            end = text.find(closing, end_of_tag)
            if end == -1 or _UNSURE.search(text, end_of_tag, end):
                return False, None
            return True, text[end_of_tag:end] or None
        position = text.find(opening, after)
    return True, None


_NAME = re.compile(r"<([^\s/>!?]+)")


def _self_closing_tags_only(text: str) -> bool:
    """Every «/>» in the text ends a tag that closes itself (none stands in a text or an attribute value), so
    ``_open_elements`` may count each as one."""
    position = text.find("/>")
    while position != -1:
        name = _NAME.match(text, text.rfind("<", 0, position))
        tag = _start_tag(text, name.end()) if name else None
        if tag is None or not tag[1] or tag[2] != position + 2:
            return False
        position = text.find("/>", position + 2)
    return True


def _skimmed(chunk: str, line: int) -> RawOffer | OfferText:
    """The offer's id, category, vendorCode and supplier read off its text, when that is sure to give what parsing
    gives (``_offer_from_element``): outside CDATA and comments, the first child of each name holding plain text.
    Otherwise the offer parsed."""
    marked = _UNMARKED.sub("<!>", chunk) if "<!" in chunk else chunk  # CDATA, a comment: «<!>», so «<» in a value
    offer_tag = _start_tag(marked, len("<offer"))
    if len(chunk) > MAX_OFFER_CHARS or "<?" in marked or re.search(r"<![^>]", marked) or offer_tag is None:
        return _parsed(chunk, line)
    attributes, closes_itself, children = offer_tag
    if closes_itself or not _self_closing_tags_only(marked):
        return _parsed(chunk, line)
    texts: list[str | None] = []
    for _tag, opening, closing in _SKIMMED_TAGS:
        sure, text = _child_text(marked, children, opening, closing)
        if not sure:
            return _parsed(chunk, line)
        texts.append(text)
    category, code, supplier = texts
    return OfferText(
        line=line,
        source=chunk,
        offer_id=attributes.get("id", "").strip() or None,
        # As ``_text``: None without text, else stripped (so blanks read as "").
        category_id=None if category is None else category.strip(),
        vendor_code=None if code is None else code.strip(),
        supplier=(supplier or "").strip() or None,
    )


def _skip_offer(buffer: str, position: int, look: int, line: int, chunks: Iterator[str]) -> tuple[str, int, int] | None:
    """Drop an oversized offer's text (from ``position``, on ``line``) until its ``</offer>`` or the next
    ``<offer``: the buffer, the position after it and the line there; None when the file ends first. Only one
    chunk is held at a time."""
    while True:
        end = buffer.find(_OFFER_END, look)
        following = _OFFER_START.search(buffer, look)
        if end != -1 or following is not None:
            if following is not None and (end == -1 or following.start() < end):
                stop = following.start()
            else:
                stop = end + len(_OFFER_END)
            return buffer, stop, line + buffer.count("\n", position, stop)
        keep = max(position, len(buffer) - _OVERLAP)
        line += buffer.count("\n", position, keep)
        more = next(chunks, None)
        if more is None:
            return None
        buffer, position, look = buffer[keep:] + more, 0, 0


def _broken(chunk: str, line: int, reason: str) -> RawOffer:
    found = re.search(r"""\bid\s*=\s*["']([^"']{1,64})["']""", chunk)
    return RawOffer(line=line, offer_id=found.group(1) if found else None, broken=reason)


class _Prepend(io.RawIOBase):
    """A binary stream with already-read bytes put back in front."""

    def __init__(self, first: bytes, rest: BinaryIO) -> None:
        self._first, self._rest = first, rest

    @property
    def name(self) -> object:  # TextIOWrapper passes its buffer's name on (typeshed's _WrappedBuffer)
        return getattr(self._rest, "name", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]  # io hands over a bytearray/memoryview
        if self._first:
            size = min(len(buffer), len(self._first))
            buffer[:size], self._first = self._first[:size], self._first[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --- CSV ----------------------------------------------------------------------------------


def read_csv(stream: BinaryIO) -> tuple[FeedHead, Iterator[RawOffer]]:
    """A supplier spreadsheet saved as CSV (UTF-8 or Windows-1251; comma, semicolon or tab).

    Header row, any order: id, name, price, category (required); currency, vendor, vendorCode,
    description, available, moq, stock, lead_time_days, supplier, city, breaks (optional).

    ``category`` is a path «Обувь / Кроссовки»; ``breaks`` is «10:9,50; 50:8,00»; any column
    ``param:<name>`` becomes a product attribute. Categories are collected as offers are read.
    """
    first = stream.read(4096)
    try:
        first.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start < len(first) - 4:
            encoding = "cp1251"
        else:
            encoding = "utf-8-sig"
    text = io.TextIOWrapper(_Prepend(first, stream), encoding=encoding, errors="replace", newline="")
    sample = first.decode(encoding, "ignore")
    delimiter = max(";,\t", key=lambda char: sample.split("\n", 1)[0].count(char))
    reader = csv.DictReader(text, delimiter=delimiter)
    columns = {(name or "").strip() for name in reader.fieldnames or []}
    if not {"id", "name", "price", "category"} <= columns:
        raise NotAFeed("a CSV feed needs the columns id, name, price and category")
    categories: dict[str, FeedCategory] = {}
    head = FeedHead(company=None, currencies={}, categories=[])
    return head, _csv_offers(reader, categories, head)


def _csv_category(path: str, categories: dict[str, FeedCategory], head: FeedHead) -> str | None:
    parent = None
    for part in (piece.strip() for piece in re.split(r"\s*[/>]\s*", path)):
        if not part:
            continue
        key = f"{parent}/{part}" if parent else part
        if key not in categories:
            categories[key] = FeedCategory(id=key, name=part, parent_id=parent)
            head.categories.append(categories[key])
        parent = key
    return parent


def _csv_offers(reader: csv.DictReader, categories: dict[str, FeedCategory], head: FeedHead) -> Iterator[RawOffer]:
    for row in reader:
        row = {(key or "").strip(): (value or "").strip() for key, value in row.items() if isinstance(value, str)}
        breaks = []
        for part in filter(None, (piece.strip() for piece in row.get("breaks", "").split(";"))):
            quantity, _sep, price = part.partition(":")
            breaks.append((quantity.strip(), price.strip()))
        yield RawOffer(
            line=reader.line_num,
            offer_id=row.get("id") or None,
            available=row.get("available") or None,
            name=row.get("name") or None,
            price=row.get("price") or None,
            currency=row.get("currency") or "RUB",
            category_id=_csv_category(row.get("category", ""), categories, head),
            vendor=row.get("vendor") or None,
            vendor_code=row.get("vendorCode") or None,
            description=row.get("description") or None,
            params={key[6:].strip(): value for key, value in row.items() if key.startswith("param:") and value},
            moq=row.get("moq") or None,
            stock=row.get("stock") or None,
            lead_time_days=row.get("lead_time_days") or None,
            supplier=row.get("supplier") or None,
            supplier_city=row.get("city") or None,
            breaks_currency=row.get("currency") or None if breaks else None,
            breaks=breaks,
        )

"""Catalogue import: check each offer of a feed and create or update its product.

Offers are matched to products by supplier + the feed's offer id (then by supplier + vendorCode),
so importing the same feed again updates instead of duplicating. Each bad offer is recorded in
the report with its line and id and skipped; good offers are committed in batches. Feed
categories are mapped to ours by name under the same parent, and created when missing. A file
that is not a feed raises ``NotAFeed`` before anything is written.

A re-import first looks for offers unchanged since the import that last wrote their product (``products.feed_hash``,
``_unchanged_offers``): those are counted as updated without being parsed (a YML offer comes as its text and the
few values that decision needs, ``reader.skim_yml``), checked, compared or written. Known products
are compared and written set-based (``_save_known_offers``), and so are new ones (``_insert_new_products``); the
ORM is left for what another offer of the same batch reaches (repeats, vendorCode matches).
"""

from __future__ import annotations

import enum
import hashlib
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, selectinload

from storefront.catalog.models import Category, PriceBreak, Product, ProductStatus, Supplier
from storefront.catalog.services import InvalidPriceBreaks, assign_price_breaks, validate_price_breaks
from storefront.catalog.text import sanitise_description
from storefront.db import utcnow
from storefront.feeds.reader import (
    MAX_OFFER_CHARS,
    OFFER_TOO_LARGE,
    FeedCategory,
    FeedHead,
    OfferText,
    RawOffer,
    read_csv,
    skim_yml,
)
from storefront.fx.services import MissingRate, Pricing, current_pricing
from storefront.money import CURRENCIES, MoneyError, from_minor, parse_amount, to_minor
from storefront.pictures.services import sync_feed_pictures
from storefront.search.index import INDEXED_FIELDS, index_products, insert_search_rows, search_row
from storefront.slugs import make_slug

BATCH = 500
#: Offers read ahead and looked up together for the unchanged-offer skip (one query).
CHUNK = 2000
#: Yandex: «up to 10 pictures», URL length up to 512 (yandex.ru/support/partnermarket, picture).
MAX_PICTURES = 10
MAX_PICTURE_URL = 512
MAX_PRICE = Decimal("10000000000")


class Problem(enum.StrEnum):
    BROKEN = "broken"
    TOO_LARGE = "too_large"
    NO_ID = "no_id"
    NO_NAME = "no_name"
    BAD_PRICE = "bad_price"
    UNKNOWN_CURRENCY = "unknown_currency"
    UNKNOWN_CATEGORY = "unknown_category"
    BAD_QUANTITY = "bad_quantity"
    BAD_BREAKS = "bad_breaks"
    NO_SUPPLIER = "no_supplier"


@dataclass(frozen=True)
class OfferProblem:
    line: int
    offer_id: str | None
    problem: Problem
    detail: str = ""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    problems: list[OfferProblem] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.created + self.updated + len(self.problems)


class OfferRejected(Exception):
    def __init__(self, problem: Problem, detail: str = "") -> None:
        super().__init__(problem, detail)
        self.problem, self.detail = problem, detail


@dataclass(frozen=True)
class CleanOffer:
    offer_id: str
    name: str
    currency: str
    breaks: list[tuple[int, Decimal]]
    moq: int
    #: None = the feed does not say (no ``<stock>`` on an available offer): shown as unknown.
    stock: int | None
    lead_time_days: int | None
    feed_category_id: str
    supplier_name: str
    supplier_city: str
    vendor_code: str | None
    description: str
    attributes: dict[str, str]
    picture_urls: list[str]
    #: ``offer_digest`` of the offer read.
    digest: bytes


def _quantity(text: str | None, default: int | None, minimum: int = 0) -> int | None:
    if text is None or text == "":
        return default
    if not text.isdigit() or len(text) > 9 or int(text) < minimum:
        raise OfferRejected(Problem.BAD_QUANTITY, text)
    return int(text)


def _price(text: str | None) -> Decimal:
    try:
        value = parse_amount(text or "")
    except MoneyError as exc:
        raise OfferRejected(Problem.BAD_PRICE, text or "") from exc
    if value <= 0 or value >= MAX_PRICE:
        raise OfferRejected(Problem.BAD_PRICE, text or "")
    return value


def offer_name(offer: RawOffer) -> str | None:
    """``<name>``, or for ``type="vendor.model"`` offers typePrefix + vendor + model.

    Yandex Market, «vendor.model» type: the offer has no ``name``; ``model`` and ``vendor`` are
    required, ``typePrefix`` («product type / category») optional; Market shows them together.
    """
    if offer.name:
        return offer.name
    if (offer.type or "").strip().lower() == "vendor.model" and offer.model:
        return " ".join(part for part in (offer.type_prefix, offer.vendor, offer.model) if part)
    return None


def _picture_urls(urls: list[str]) -> list[str]:
    """Absolute http(s) URLs only, each once, at most ``MAX_PICTURES``; others are dropped."""
    kept: list[str] = []
    for url in urls:
        if url.lower().startswith(("http://", "https://")) and len(url) <= MAX_PICTURE_URL and url not in kept:
            kept.append(url)
    return kept[:MAX_PICTURES]


def _lead_time(offer: RawOffer) -> int | None:
    days = _quantity(offer.lead_time_days, None)
    if days is None and offer.delivery_days is not None:
        days = int(offer.delivery_days)
    return days if days is None else min(days, 32767)


def clean_offer(offer: RawOffer, head: FeedHead, default_supplier: str | None) -> CleanOffer:
    """The offer's values checked and typed, or ``OfferRejected`` naming the first problem.

    Stock and lead time are only what the feed states: an available offer without ``<stock>``
    has an unknown stock (None), not an invented figure; ``available="false"`` without one has
    none in stock (made to order), with a lead time only from ``<lead-time-days>`` or the
    offer's ``<delivery-options>``.
    """
    if offer.broken == OFFER_TOO_LARGE:
        raise OfferRejected(Problem.TOO_LARGE, str(MAX_OFFER_CHARS))
    if offer.broken:
        raise OfferRejected(Problem.BROKEN, offer.broken)
    if not offer.offer_id or len(offer.offer_id) > 64:
        raise OfferRejected(Problem.NO_ID)
    name = offer_name(offer)
    if not name:
        raise OfferRejected(Problem.NO_NAME)
    currency = (offer.breaks_currency or offer.currency or "RUB").strip().upper()
    currency = "RUB" if currency == "RUR" else currency
    if currency not in CURRENCIES:
        raise OfferRejected(Problem.UNKNOWN_CURRENCY, currency)
    if offer.category_id is None or head.find_category(offer.category_id) is None:
        raise OfferRejected(Problem.UNKNOWN_CATEGORY, offer.category_id or "")
    moq = _quantity(offer.moq, 1, minimum=1) or 1
    if offer.breaks:
        breaks = [(_quantity(quantity, None, minimum=1) or 0, _price(price)) for quantity, price in offer.breaks]
    else:
        breaks = [(1, _price(offer.price))]
    try:
        breaks = validate_price_breaks(breaks, moq)
    except InvalidPriceBreaks as exc:
        raise OfferRejected(Problem.BAD_BREAKS, str(exc)) from exc
    available = (offer.available or "true").strip().lower() not in ("false", "0", "no")
    supplier = offer.supplier or head.company or default_supplier
    if not supplier:
        raise OfferRejected(Problem.NO_SUPPLIER)
    attributes = dict(offer.params)
    if offer.vendor:
        attributes.setdefault("Бренд", offer.vendor)
    return CleanOffer(
        offer_id=offer.offer_id,
        name=" ".join(name.split())[:500],
        currency=currency,
        breaks=breaks,
        moq=moq,
        stock=_quantity(offer.stock, None if available else 0),
        lead_time_days=_lead_time(offer),
        feed_category_id=offer.category_id,
        supplier_name=supplier[:255],
        supplier_city=(offer.supplier_city or "")[:64],
        vendor_code=(offer.vendor_code or "")[:64] or None,
        description=sanitise_description(offer.description),
        attributes=attributes,
        picture_urls=_picture_urls(offer.picture_urls),
        digest=offer_digest(offer),
    )


#: Part of every digest: change it whenever what an offer writes changes (``clean_offer``, ``_written_columns``, the
#: sanitiser's rules), so that no product is skipped on the strength of a digest made under the old rules.
_DIGEST_RULES = b"mostik-feed-offer-1\0"
_CSV_FIELDS = [item.name for item in fields(RawOffer) if item.name not in ("line", "source")]


def offer_digest(offer: RawOffer | OfferText) -> bytes:
    """A fingerprint of the offer as written: its XML (YML), else its values (CSV). Its line is not part of it."""
    if offer.source is not None:
        text = offer.source
    else:
        text = repr([getattr(offer, name) for name in _CSV_FIELDS])
    return hashlib.blake2b(_DIGEST_RULES + text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def stamp(digest: bytes, updated_at: datetime) -> bytes:
    """What ``products.feed_hash`` holds: the digest of the offer the import wrote, bound to the ``updated_at`` the
    product was left with. Anything else that changes the product (staff, an order taking stock) moves
    ``updated_at`` and so voids the stamp; only the rouble-price recompute keeps ``updated_at``, and the skip checks
    that price itself."""
    return hashlib.blake2b(digest + updated_at.isoformat().encode(), digest_size=16).digest()


#: Rouble prices by (source price, currency).
_Prices = dict[tuple[Decimal, str], Decimal | None]


class _Catalogue:
    """Finds or creates the suppliers and categories offers point at (cached for the run).

    Their ids are kept apart too: the objects expire at every batch's commit, and reading ``id`` from an expired
    one is a query.
    """

    def __init__(self, session: Session, head: FeedHead) -> None:
        self.session, self.head = session, head
        self.suppliers: dict[str, Supplier] = {}
        self.categories: dict[str, Category] = {}
        self.supplier_ids: dict[str, int] = {}
        self.category_ids: dict[str, int] = {}
        #: Rouble prices by (source price, currency) at the run's rates, for comparing offers with stored rows.
        self.rouble_prices: _Prices = {}
        #: The same in minor units, by (source price in minor units, currency).
        self.rouble_minor: dict[tuple[int, str], int | None] = {}

    def supplier(self, name: str, city: str) -> Supplier:
        if name not in self.suppliers:
            found = self.session.scalars(select(Supplier).where(Supplier.name == name)).first()
            if found is None:
                # A feed names the seller and maybe its city; its kind and rating stay unknown.
                found = Supplier(name=name, slug=self._free_slug(Supplier, make_slug(name, 200)), city=city)
                self.session.add(found)
                self.session.flush()
            self.suppliers[name], self.supplier_ids[name] = found, found.id
        return self.suppliers[name]

    def category(self, feed_id: str, seen: frozenset[str] = frozenset()) -> Category:
        if feed_id in self.categories:
            return self.categories[feed_id]
        feed = self.head.find_category(feed_id)
        assert feed is not None, "clean_offer checked the category"
        parent = None
        if feed.parent_id and feed.parent_id not in seen and self.head.find_category(feed.parent_id):
            parent = self.category(feed.parent_id, seen | {feed_id})
        parent_id = parent.id if parent else None
        found = self._find_category(feed, parent_id)
        if found is None:
            name = (feed.name or feed.id)[:255]
            found = Category(name=name, parent_id=parent_id, slug=self._free_slug(Category, make_slug(name)))
            self.session.add(found)
            self.session.flush()
        self.categories[feed_id], self.category_ids[feed_id] = found, found.id
        return found

    def category_id(self, feed_id: str) -> int:
        if feed_id not in self.category_ids:
            self.category(feed_id)
        return self.category_ids[feed_id]

    def _find_category(self, feed: FeedCategory, parent_id: int | None) -> Category | None:
        return self.session.scalars(
            select(Category).where(Category.name == (feed.name or feed.id), Category.parent_id.is_(parent_id))
            if parent_id is None
            else select(Category).where(Category.name == (feed.name or feed.id), Category.parent_id == parent_id)
        ).first()

    def existing_supplier_id(self, name: str) -> int | None:
        """The id ``supplier`` would give, when that creates nothing; else None."""
        if name not in self.supplier_ids:
            found = self.session.scalars(select(Supplier).where(Supplier.name == name)).first()
            if found is None:
                return None
            self.suppliers[name], self.supplier_ids[name] = found, found.id
        return self.supplier_ids[name]

    def existing_category_id(self, feed_id: str, seen: frozenset[str] = frozenset()) -> int | None:
        """The id ``category_id`` would give, when that creates nothing (here or above); else None."""
        if feed_id in self.category_ids:
            return self.category_ids[feed_id]
        feed = self.head.find_category(feed_id)
        if feed is None:
            return None
        parent_id = None
        if feed.parent_id and feed.parent_id not in seen and self.head.find_category(feed.parent_id):
            parent_id = self.existing_category_id(feed.parent_id, seen | {feed_id})
            if parent_id is None:
                return None
        found = self._find_category(feed, parent_id)
        if found is None:
            return None
        self.categories[feed_id], self.category_ids[feed_id] = found, found.id
        return found.id

    def _free_slug(self, model: type[Supplier] | type[Category], base: str) -> str:
        slug, number = base, 1
        while self.session.scalar(select(model.id).where(model.slug == slug)) is not None:
            number += 1
            slug = f"{base}-{number}"
        return slug


class _KnownProducts:
    """The products a batch of offers may update, looked up in a few queries instead of two per offer.

    An offer matches its supplier's product with the same feed offer id, else the one whose SKU is
    its vendorCode. Products created earlier in the same batch are registered too, so an offer
    repeated in a feed updates what its first occurrence created.
    """

    def __init__(self, session: Session, offers: Sequence[tuple[int, CleanOffer]]) -> None:
        """``offers``: (supplier id, offer) pairs."""
        codes = {offer.vendor_code for _, offer in offers if offer.vendor_code}
        by_code = session.execute(select(_STORED.id, _STORED.supplier_id, _STORED.sku).where(_STORED.sku.in_(codes)))
        #: SKUs in use anywhere (a vendorCode becomes the SKU of a new product only when free).
        self.taken_skus: set[str] = set()
        # Ids first, each by its own unique index (``supplier_id IN … AND (feed_offer_id IN … OR sku IN …)`` made
        # both engines scan), then the products themselves, when there are any (never on a first import).
        ids: set[int] = set()
        supplier_ids = {supplier_id for supplier_id, _ in offers}
        for product_id, supplier_id, sku in by_code:
            self.taken_skus.add(sku)
            if supplier_id in supplier_ids:
                ids.add(product_id)
        keys = [(supplier_id, offer.offer_id) for supplier_id, offer in offers]
        ids.update(row.id for row in session.execute(_stored_offers(session, keys, (_STORED.id,))))
        self.by_offer: dict[tuple[int, str], Product] = {}
        self.by_sku: dict[tuple[int, str], Product] = {}
        if ids:
            found = session.scalars(
                select(Product).options(selectinload(Product.price_breaks)).where(Product.id.in_(ids))
            )
            for product in found:
                self.register(product, product.supplier_id)

    def register(self, product: Product, supplier_id: int) -> None:
        """``supplier_id`` is passed: a product created in this batch has none until it is flushed."""
        if product.feed_offer_id:
            self.by_offer.setdefault((supplier_id, product.feed_offer_id), product)
        self.by_sku.setdefault((supplier_id, product.sku), product)
        self.taken_skus.add(product.sku)

    def forget_offer_id(self, product: Product, supplier_id: int) -> None:
        if product.feed_offer_id is not None and self.by_offer.get((supplier_id, product.feed_offer_id)) is product:
            del self.by_offer[(supplier_id, product.feed_offer_id)]

    def find(self, supplier_id: int, offer: CleanOffer) -> Product | None:
        product = self.by_offer.get((supplier_id, offer.offer_id))
        if product is None and offer.vendor_code:
            product = self.by_sku.get((supplier_id, offer.vendor_code))
        return product

    def new_sku(self, supplier: Supplier, offer: CleanOffer) -> str:
        if offer.vendor_code and offer.vendor_code not in self.taken_skus:
            return offer.vendor_code
        return f"{supplier.slug[:40]}-{offer.offer_id}"[:64]


#: The product columns an offer writes, read in bulk to tell an unchanged offer from a changed one.
_STORED = Product.__table__.c
_COMPARED = (
    _STORED.id,
    _STORED.supplier_id,
    _STORED.feed_offer_id,
    _STORED.sku,
    _STORED.category_id,
    _STORED.title,
    _STORED.slug,
    _STORED.description,
    _STORED.attributes,
    _STORED.moq,
    _STORED.stock,
    _STORED.lead_time_days,
    _STORED.image_count,
    _STORED.picture_urls,
    _STORED.currency,
    _STORED.source_price_from,
    _STORED.price_rub_from,
    _STORED.status,
    _STORED.updated_at,
    _STORED.feed_hash,
)


def _rouble_price(offer: CleanOffer, pricing: Pricing, known: _Prices) -> Decimal | None:
    """What ``assign_price_breaks`` stores as ``price_rub_from`` (``known``: the prices converted so far)."""
    return _to_rub(min(price for _, price in offer.breaks), offer.currency, pricing, known)


def _to_rub(price: Decimal, currency: str, pricing: Pricing, known: _Prices) -> Decimal | None:
    key = (price, currency)
    if key not in known:
        try:
            known[key] = pricing.to_rub(*key)
        except MissingRate:
            known[key] = None
    return known[key]


def _written_columns(
    offer: CleanOffer, row: Any, category_id: int, pricing: Pricing, prices: _Prices
) -> dict[str, Any]:
    """The product columns an offer sets (its offer id, SKU and supplier apart), the rouble price of its lowest
    break at ``pricing`` included (as ``assign_price_breaks`` sets it). The one place these rules live: new
    products are inserted with them, matched ones compared with and updated to them.

    With a stored ``row`` the slug is only made again when the title differs from the row's: a product matched by
    feed offer id got its slug from the importer, as ``make_slug`` of that title (nothing else writes product
    slugs), and making a slug was a good part of comparing an offer. Without one (None) it is always made.
    """
    return {
        "category_id": category_id,
        "title": offer.name,
        "slug": row.slug if row is not None and row.title == offer.name else make_slug(offer.name),
        "description": offer.description,
        "attributes": offer.attributes,
        "moq": offer.moq,
        "stock": offer.stock,
        "lead_time_days": offer.lead_time_days,
        "image_count": len(offer.picture_urls),
        "picture_urls": offer.picture_urls or None,
        "currency": offer.currency,
        "source_price_from": min(price for _, price in offer.breaks),
        "price_rub_from": _rouble_price(offer, pricing, prices),
        "status": ProductStatus.ACTIVE.value,
    }


def _save_known_offers(
    session: Session, catalogue: _Catalogue, placed: Sequence[tuple[Supplier, CleanOffer]], pricing: Pricing
) -> set[int]:
    """Save the offers whose product is known by supplier + offer id, set-based; return their positions in ``placed``.

    The stored values are read in two queries for the batch (the products matched by supplier + offer id, then
    their breaks) and compared with what ``_written_columns`` gives, the rouble price at
    today's rates included. An offer that would change nothing is skipped: no UPDATE, no new ``updated_at``, no
    re-index, its break rows kept. The others are written as the ORM would write them, in a few statements for the
    batch: their columns (and ``updated_at``) when any differs, their breaks replaced, the search index for changed
    titles, descriptions or attributes, the pictures for changed URLs.

    An offer is only taken here when nothing else in the batch can reach its product: its offer id appears once
    in the batch, and no other offer's vendorCode is its product's SKU (such offers would move the product's
    offer id, or update it, first). The rest — new offers, repeats, vendorCode matches — are walked in feed order
    by ``save_offers``, with the same semantics.
    """
    offer_ids = Counter(offer.offer_id for _, offer in placed)
    codes = Counter(offer.vendor_code for _, offer in placed if offer.vendor_code)
    candidates = [
        (catalogue.supplier_ids[offer.supplier_name], offer.offer_id)
        for _, offer in placed
        if offer_ids[offer.offer_id] == 1
    ]
    if not candidates:
        return set()
    found = session.execute(_stored_offers(session, candidates, _COMPARED))
    stored = {(row.supplier_id, row.feed_offer_id): row for row in found}
    known: dict[int, tuple[int, CleanOffer, Any, dict[str, Any]]] = {}
    prices = catalogue.rouble_prices
    for position, (_, offer) in enumerate(placed):
        if offer_ids[offer.offer_id] != 1:
            continue
        row = stored.get((catalogue.supplier_ids[offer.supplier_name], offer.offer_id))
        if row is None or codes[row.sku] > (1 if offer.vendor_code == row.sku else 0):
            continue
        columns = _written_columns(offer, row, catalogue.category_id(offer.feed_category_id), pricing, prices)
        known[row.id] = (position, offer, row, columns)
    if not known:
        return set()
    breaks: dict[int, list[tuple[int, Decimal]]] = {product_id: [] for product_id in known}
    table = PriceBreak.__table__.c
    for product_id, quantity, price in session.execute(
        select(table.product_id, table.min_quantity, table.unit_price)
        .where(table.product_id.in_(list(known)))
        .order_by(table.product_id, table.min_quantity)
    ):
        breaks[product_id].append((quantity, price))
    now = utcnow()
    rows: list[dict[str, Any]] = []
    stamps: list[dict[str, Any]] = []
    new_breaks: list[dict[str, Any]] = []
    reindex: list[int] = []
    pictures: dict[int, list[str]] = {}
    for product_id, (_, offer, row, columns) in known.items():
        changed = [name for name, value in columns.items() if getattr(row, name) != value]
        if changed:
            rows.append({"product_id": product_id, **columns, "updated_at": now, "feed_hash": stamp(offer.digest, now)})
        elif row.feed_hash != (kept := stamp(offer.digest, row.updated_at)):
            stamps.append({"product_id": product_id, "stamp": kept})
        if not changed and breaks[product_id] == offer.breaks:
            continue
        new_breaks += [{"product_id": product_id, "min_quantity": q, "unit_price": p} for q, p in offer.breaks]
        if any(name in INDEXED_FIELDS for name in changed):
            reindex.append(product_id)
        if (row.picture_urls or []) != offer.picture_urls:  # as ``save_offers`` decides
            pictures[product_id] = offer.picture_urls
    if rows:
        session.execute(update(Product.__table__).where(_STORED.id == bindparam("product_id")), rows)
    if stamps:
        _set_stamps(session, stamps)
    if new_breaks:
        written = list({entry["product_id"] for entry in new_breaks})
        session.execute(delete(PriceBreak.__table__).where(table.product_id.in_(written)))
        session.execute(insert(PriceBreak.__table__), new_breaks)
    if reindex:
        index_products(session, reindex)
    sync_feed_pictures(session, pictures)
    return {position for position, _offer, _row, _columns in known.values()}


def _set_stamps(session: Session, stamps: list[dict[str, Any]]) -> None:
    """Write ``feed_hash`` (``stamp``) of products by id, ``updated_at`` kept: a stamp is not an edit."""
    session.execute(
        update(Product.__table__)
        .where(_STORED.id == bindparam("product_id"))
        .values(feed_hash=bindparam("stamp"), updated_at=_STORED.updated_at),
        stamps,
    )


def _apply_offer(product: Product, columns: dict[str, Any], offer_id: str) -> None:
    """Set ``_written_columns`` on an ORM product."""
    product.feed_offer_id = offer_id
    for name, value in columns.items():
        setattr(product, name, value)


def save_offers(
    session: Session, catalogue: _Catalogue, offers: Sequence[CleanOffer], pricing: Pricing, report: ImportReport
) -> None:
    """Create or update the products of checked offers, counted in ``report``; the caller commits.

    Offers whose product is known by offer id are saved set-based (``_save_known_offers``). The others are taken
    in feed order: a new product that no other offer of the batch can reach (its offer id once in the batch, no
    other offer's vendorCode equal to its SKU) is inserted set-based with its breaks and search rows after the
    ORM flush (``_insert_new_products``). The rest — repeats, vendorCode matches — go the ORM way: new products are
    inserted with their breaks in one flush; updated ones lose their old breaks in that flush and get the new ones
    in a second (the new rows may reuse the old thresholds). The search index follows in the same flushes
    (``search.index``). Products whose picture URLs are new or changed get their pictures queued for download in
    one set of statements (``pictures.services.sync_feed_pictures``).
    """
    if not offers:
        return
    placed = [(catalogue.supplier(offer.supplier_name, offer.supplier_city), offer) for offer in offers]
    for offer in offers:  # found or created before any product changes (a lookup autoflushes)
        catalogue.category_id(offer.feed_category_id)
    saved = _save_known_offers(session, catalogue, placed, pricing)
    report.updated += len(saved)
    placed = [entry for position, entry in enumerate(placed) if position not in saved]
    if not placed:
        return
    # Supplier ids from the catalogue: the objects expired at the last commit, and reading one's id is a query.
    keyed = [(catalogue.supplier_ids[offer.supplier_name], offer) for _, offer in placed]
    known = _KnownProducts(session, keyed)
    offer_ids = Counter(offer.offer_id for _, offer in placed)
    codes = Counter(offer.vendor_code for _, offer in placed if offer.vendor_code)
    updated: list[tuple[Product, CleanOffer]] = []
    pictures_changed: dict[int, Product] = {}
    created: list[Product] = []
    inserted: list[tuple[dict[str, Any], CleanOffer]] = []
    prices = catalogue.rouble_prices
    now = utcnow()
    for (supplier, offer), (supplier_id, _) in zip(placed, keyed, strict=True):
        columns = _written_columns(offer, None, catalogue.category_id(offer.feed_category_id), pricing, prices)
        product = known.find(supplier_id, offer)
        if product is None:
            sku = known.new_sku(supplier, offer)
            report.created += 1
            if _alone_in_batch(offer, sku, offer_ids, codes):
                known.taken_skus.add(sku)
                row = {"supplier_id": supplier_id, "sku": sku, "feed_offer_id": offer.offer_id, **columns}
                inserted.append((row, offer))
                continue
            product = Product(supplier=supplier, sku=sku, updated_at=now)
            product.feed_hash = stamp(offer.digest, now)
            _apply_offer(product, columns, offer.offer_id)
            assign_price_breaks(product, offer.breaks, pricing)
            session.add(product)
            created.append(product)
            if offer.picture_urls:
                pictures_changed[id(product)] = product
        else:
            known.forget_offer_id(product, supplier_id)  # matched by vendorCode: its offer id may change
            product.price_breaks.clear()
            if (product.picture_urls or []) != offer.picture_urls:
                pictures_changed[id(product)] = product
            _apply_offer(product, columns, offer.offer_id)
            updated.append((product, offer))
            report.updated += 1
        known.register(product, supplier_id)
    session.flush()
    new_pictures = _insert_new_products(session, inserted, now)  # after the flush: it may free offer ids
    for product, offer in updated:  # a product repeated in the batch ends with its last offer's breaks
        assign_price_breaks(product, offer.breaks, pricing)
    sync_feed_pictures(
        session,
        {product.id: product.picture_urls or [] for product in pictures_changed.values()} | new_pictures,
        new_products={product.id for product in created} | new_pictures.keys(),
    )
    session.flush()
    if updated:
        # Their stamps go: the ORM writes no row (so no new ``updated_at``) when only the breaks changed, and
        # a new product repeated in the batch holds its first offer's. The next import compares them in full.
        _set_stamps(session, [{"product_id": product_id, "stamp": None} for product_id in {p.id for p, _ in updated}])


def _alone_in_batch(offer: CleanOffer, sku: str, offer_ids: Counter[str], codes: Counter[str]) -> bool:
    """No other offer of the batch can reach the new product of ``offer`` (SKU ``sku``): its offer id is once in
    the batch and no other offer's vendorCode is that SKU. ``offer_ids``, ``codes``: the batch's, counted."""
    return offer_ids[offer.offer_id] == 1 and codes[sku] == (1 if offer.vendor_code == sku else 0)


def _insert_new_products(
    session: Session, inserted: Sequence[tuple[dict[str, Any], CleanOffer]], now: datetime
) -> dict[int, list[str]]:
    """Insert new products (``save_offers``' rows) with their breaks and search rows, a statement for each table;
    return the picture URLs of those that have some, by product id, for ``sync_feed_pictures``."""
    if not inserted:
        return {}
    table = Product.__table__
    rows = [{**row, "created_at": now, "updated_at": now, "published_at": now} for row, _ in inserted]
    for row, (_, offer) in zip(rows, inserted, strict=True):
        row["feed_hash"] = stamp(offer.digest, now)
    # A plain executemany, then the ids by the unique (supplier, offer id): INSERT … RETURNING in parameter order
    # cost more than the insert (SQLite runs it a row at a time, psycopg parses its long text anew each time).
    session.execute(insert(table), rows)
    keys = [(row["supplier_id"], row["feed_offer_id"]) for row in rows]
    found = session.execute(_stored_offers(session, keys, _KEY))
    id_by_key = {(row.supplier_id, row.feed_offer_id): row.id for row in found}
    ids = [id_by_key[key] for key in keys]
    session.execute(
        insert(PriceBreak.__table__),
        [
            {"product_id": product_id, "min_quantity": quantity, "unit_price": price}
            for product_id, (_, offer) in zip(ids, inserted, strict=True)
            for quantity, price in offer.breaks
        ],
    )
    insert_search_rows(
        session,
        [
            search_row(product_id, row["title"], None, row["sku"], row["description"], row["attributes"])
            for product_id, row in zip(ids, rows, strict=True)
        ],
    )
    return {
        product_id: offer.picture_urls
        for product_id, (_, offer) in zip(ids, inserted, strict=True)
        if offer.picture_urls
    }


#: A product's id and the unique key feed offers reach it by.
_KEY = (_STORED.id, _STORED.supplier_id, _STORED.feed_offer_id)
#: The stored values ``_unchanged_offers`` reads to tell whether an offer can be skipped (prices in minor units).
_CHECKED = (
    _STORED.supplier_id,
    _STORED.feed_offer_id,
    _STORED.sku,
    _STORED.category_id,
    _STORED.status,
    _STORED.currency,
    type_coerce(_STORED.source_price_from, BigInteger).label("source_minor"),
    type_coerce(_STORED.price_rub_from, BigInteger).label("rouble_minor"),
    _STORED.updated_at,
    _STORED.feed_hash,
)


def _stored_offers(session: Session, keys: Sequence[tuple[int, str]], columns: Sequence[Any] = _CHECKED) -> Select:
    """``columns`` of the products with these (supplier id, feed offer id) keys, in one index probe per key.

    The keys are one parameter, unnested into rows: ``supplier_id IN (…) AND feed_offer_id IN (…)`` would probe
    every supplier × offer id pair (80,000 probes for 2,000 offers of 40 suppliers).
    """
    if session.get_bind().dialect.name == "postgresql":
        pairs = (
            func.unnest(
                bindparam("supplier_ids", [key[0] for key in keys], type_=ARRAY(Integer)),
                bindparam("offer_ids", [key[1] for key in keys], type_=ARRAY(String)),
            )
            .table_valued("supplier_id", "offer_id", name="offer_keys")
            .render_derived()
        )
        # LIMIT 1 (the pair is unique) keeps the subquery an index probe per key: joined plainly, the planner
        # would rather hash the whole products table for each chunk.
        stored = (
            select(*columns)
            .where(_STORED.supplier_id == pairs.c.supplier_id, _STORED.feed_offer_id == pairs.c.offer_id)
            .limit(1)
            .lateral("stored")
        )
        return select(*stored.c).select_from(pairs).join(stored, true())
    pairs = func.json_each(bindparam("offer_keys", json.dumps(keys), type_=Text)).table_valued("value")
    match = (_STORED.supplier_id == func.json_extract(pairs.c.value, "$[0]")) & (
        _STORED.feed_offer_id == func.json_extract(pairs.c.value, "$[1]")
    )
    return select(*columns).select_from(pairs.join(Product.__table__, match))


def _unchanged_offers(
    session: Session,
    catalogue: _Catalogue,
    chunk: Sequence[RawOffer | OfferText],
    pending: Sequence[CleanOffer],
    default_supplier: str | None,
    pricing: Pricing,
) -> set[int]:
    """The positions in ``chunk`` of offers that would change nothing, found with one query for the chunk.

    Such an offer is the very text (``offer_digest``) of the offer the import last wrote to its product, and its
    product has not changed since (``stamp``: the same ``updated_at``); it goes to the same category, and today's
    rates give the stored rouble price. It checks clean again — ``clean_offer`` looks at nothing but the offer, its
    category being in the feed and a supplier being named — so it needs no check, comparison or write. Only offers
    whose supplier and category exist already are taken (the others go the full way, which creates them in feed
    order), and, as in ``_save_known_offers``, only when no other offer of the chunk or of the ``pending`` batch
    (checked, not saved yet) can reach their product: the same offer id, a vendorCode equal to its SKU. Every
    offer before those is saved by then.
    """
    head = catalogue.head
    offer_ids = Counter(offer.offer_id for offer in chunk)
    offer_ids.update(offer.offer_id for offer in pending)
    codes = Counter((offer.vendor_code or "")[:64] or None for offer in chunk)
    codes.update(offer.vendor_code for offer in pending)
    candidates: dict[tuple[int, str], int] = {}
    # Suppliers and feed categories not in the database are looked for once per chunk.
    no_supplier: set[str] = set()
    no_category: set[str] = set()
    supplier_ids, category_ids = catalogue.supplier_ids, catalogue.category_ids
    for position, offer in enumerate(chunk):
        category = offer.category_id
        if offer.broken or not offer.offer_id or offer_ids[offer.offer_id] != 1 or category is None:
            continue
        supplier = (offer.supplier or head.company or default_supplier or "")[:255]
        supplier_id = supplier_ids.get(supplier)
        if supplier_id is None:
            if not supplier or supplier in no_supplier:
                continue
            supplier_id = catalogue.existing_supplier_id(supplier)
            if supplier_id is None:
                no_supplier.add(supplier)
                continue
        if category not in category_ids:
            if category in no_category:
                continue
            if catalogue.existing_category_id(category) is None:
                no_category.add(category)
                continue
        candidates[(supplier_id, offer.offer_id)] = position
    if not candidates:
        return set()
    unchanged: set[int] = set()
    prices = catalogue.rouble_minor
    for row in session.execute(_stored_offers(session, list(candidates))):
        found = candidates.get((row.supplier_id, row.feed_offer_id))
        if found is None or row.feed_hash is None:
            continue
        offer = chunk[found]
        key = (row.source_minor, row.currency)
        if key not in prices:
            rouble = _to_rub(from_minor(row.source_minor), row.currency, pricing, catalogue.rouble_prices)
            prices[key] = None if rouble is None else to_minor(rouble)
        if (
            codes[row.sku] > (1 if (offer.vendor_code or "")[:64] == row.sku else 0)
            or row.category_id != catalogue.category_ids[offer.category_id or ""]
            or row.status != ProductStatus.ACTIVE
            or row.rouble_minor != prices[key]
        ):
            continue
        if stamp(offer_digest(offer), row.updated_at) == row.feed_hash:
            unchanged.add(found)
    return unchanged


def import_offers(
    session: Session,
    head: FeedHead,
    offers: Iterator[RawOffer | OfferText],
    default_supplier: str | None = None,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import every offer: ``CHUNK`` at a time, the unchanged ones skipped (``_unchanged_offers``), the others checked
    one by one, saved and committed ``BATCH`` at a time.

    The per-batch commit is the documented exception to "use cases flush, the caller commits" (``storefront.db``):
    a million-offer import cannot be one transaction.
    """
    report = ImportReport()
    catalogue = _Catalogue(session, head)
    pricing = current_pricing(session)
    batch: list[CleanOffer] = []
    #: Unchanged offers skipped in this batch: they count towards its size, so that batches end where they would
    #: without the skip (offers repeated within one batch behave as they always have).
    skipped = 0
    #: Checked offers of ended batches, not saved yet. A re-import's batches hold few offers to write, so
    #: consecutive batches are saved together, up to ``BATCH`` offers, while no offer of one can reach another's
    #: product (no offer id or vendorCode in common): the same writes as one batch after the other, in fewer
    #: statements and commits.
    unsaved: list[CleanOffer] = []
    unsaved_keys: set[tuple[str, str]] = set()
    analyze_at = BATCH

    def save(last: bool = False) -> None:
        nonlocal analyze_at
        save_offers(session, catalogue, unsaved, pricing, report)
        session.commit()
        unsaved.clear()
        unsaved_keys.clear()
        if last:
            return
        if report.created >= analyze_at:  # each time the import has doubled what it added
            _refresh_statistics(session)
            analyze_at = 2 * report.created
        if progress:
            progress(report)

    def end_batch() -> None:
        nonlocal skipped
        keys = {("id", offer.offer_id) for offer in batch} | {("code", o.vendor_code) for o in batch if o.vendor_code}
        if unsaved and not keys.isdisjoint(unsaved_keys):
            save()
        unsaved.extend(batch)
        unsaved_keys.update(keys)
        batch.clear()
        skipped = 0
        if len(unsaved) >= BATCH:
            save(last=False)

    while chunk := list(itertools.islice(offers, CHUNK)):
        unchanged = _unchanged_offers(session, catalogue, chunk, unsaved + batch, default_supplier, pricing)
        for position, offer in enumerate(chunk):
            if position in unchanged:
                report.updated += 1
                skipped += 1
            else:
                raw = offer.parse() if isinstance(offer, OfferText) else offer
                try:
                    batch.append(clean_offer(raw, head, default_supplier))
                except OfferRejected as exc:
                    report.problems.append(OfferProblem(raw.line, raw.offer_id, exc.problem, exc.detail))
                    continue
            if len(batch) + skipped == BATCH:
                end_batch()
    end_batch()
    save(last=True)
    if report.created >= BATCH:
        _refresh_statistics(session)
    return report


def _refresh_statistics(session: Session) -> None:
    """ANALYZE the tables a bulk import grows (PostgreSQL).

    The batch lookups are prepared statements: planned once on the statistics of a nearly empty
    table (autovacuum may be off or behind), PostgreSQL kept reading every product of the
    supplier through its index for each batch — a million-offer import slowed to a crawl.
    ANALYZE gives the planner real figures and invalidates the plans made without them; the
    listings also need fresh statistics after a bulk load.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("ANALYZE products, price_breaks, product_search"))
    session.commit()


def import_feed(
    session: Session,
    stream: BinaryIO,
    kind: str = "yml",
    default_supplier: str | None = None,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Read a YML (``kind="yml"``) or CSV feed from a binary stream and import it."""
    if kind == "csv":
        head, offers = read_csv(stream)
        return import_offers(session, head, offers, default_supplier, progress)
    head, skimmed = skim_yml(stream)  # an unchanged offer of a re-import is never parsed
    return import_offers(session, head, skimmed, default_supplier, progress)

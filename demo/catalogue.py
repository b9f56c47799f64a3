"""Deterministic demo catalogue behind ``flask --app wsgi seed-demo`` (and the benchmark's catalogue).

The same ``random_seed`` and product count always give the same rows: one ``random.Random``
drives everything and the only dates are offsets from a fixed reference day. Titles are
assembled from per-category word tables (nouns with their grammatical gender, adjectives
inflected to agree, invariable phrases), so a buyer browsing the demo sees plausible goods. The
word tables are data: ``demo/data/catalogue.json``.

Products and price breaks are written with Core ``executemany`` in batches, ids assigned
here, so a million products take minutes and memory stays flat.
"""

from __future__ import annotations

import bisect
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from slugify import slugify
from sqlalchemy import BigInteger, Table, bindparam, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from demo import load_data
from demo.pictures import generate_pictures, picture_rows
from storefront.catalog.models import Category, PriceBreak, Product, ProductStatus, Supplier
from storefront.catalog.services import recompute_rouble_prices
from storefront.money import to_minor
from storefront.pictures.models import ProductPicture
from storefront.search.index import index_products

#: Every generated date is an offset back from this day, never from "now".
REFERENCE_DATE = datetime(2026, 11, 1, tzinfo=UTC)
#: Products per INSERT batch (price breaks are 2–4 times as many); also the commit unit.
BATCH_SIZE = 10_000
SUPPLIER_COUNT = 60

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SeedReport:
    categories: int
    suppliers: int
    products: int
    price_breaks: int
    seconds: float


# --------------------------------------------------------------------------------------------
# Word tables (demo/data/catalogue.json: "roots" → categories → leaves → kinds)
#
# A kind is ("Noun/gender/English name[/price factor]", slot, slot, ...). Gender is m, f, n or
# p (plural-only nouns such as «Кроссовки»). A slot is "option|option|…" and adds at most one
# option to the title, in slot order: always with a "!" prefix, sometimes with "?", usually
# otherwise. A one-word option ending in -ый/-ий/-ой is an adjective and is inflected to the
# noun's gender; anything else («из натуральной кожи», «USB-C», «180 см») is used as written.
#
# Attributes come from the leaf's table, so they must not contradict the title: an option (or
# the noun) may override them with "{Ключ=a|b;Другой=}" (an empty list drops the attribute),
# and a slot starting "@Ключ:" sets that attribute to the chosen option's own text.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    name: str
    name_en: str
    #: Relative share of the products: a few big categories, a long tail of small ones.
    share: int
    grams: tuple[int, int]
    #: Range of the single-piece price in US dollars; CNY prices are derived from it.
    usd: tuple[str, str]
    kinds: tuple[tuple[str, ...], ...]
    attrs: tuple[tuple[str, str], ...]
    #: Model-code prefixes ("TWS|A"); empty where codes would look odd (clothes, shoes).
    codes: str = ""


@dataclass(frozen=True)
class _Root:
    name: str
    name_en: str
    icon: str
    #: Words a supplier of this trade has in its company name («… Текстиль Ко., Лтд.»).
    industries: tuple[str, ...]
    #: Where such suppliers are, with weights: "Шэньчжэнь:5 Гуанчжоу:2".
    cities: str
    #: Opening sentences for descriptions; each must fit every product of the root.
    pitches: tuple[str, ...]
    leaves: tuple[_Leaf, ...]


def _leaf(row: dict[str, Any]) -> _Leaf:
    return _Leaf(
        name=row["name"],
        name_en=row["name_en"],
        share=row["share"],
        grams=tuple(row["grams"]),
        usd=tuple(row["usd"]),
        kinds=tuple(tuple(kind) for kind in row["kinds"]),
        attrs=tuple(tuple(attr) for attr in row["attrs"]),
        codes=row["codes"],
    )


def _root(row: dict[str, Any]) -> _Root:
    return _Root(
        name=row["name"],
        name_en=row["name_en"],
        icon=row["icon"],
        industries=tuple(row["industries"]),
        cities=row["cities"],
        pitches=tuple(row["pitches"]),
        leaves=tuple(_leaf(leaf) for leaf in row["leaves"]),
    )


_TABLES = load_data("catalogue.json")

#: Colour attribute values with their English names (for ``title_en``).
COLORS: dict[str, str] = _TABLES["colors"]
COLOR_NAMES_EN: dict[str, str] = {**COLORS, **_TABLES["extra_color_names_en"]}
ROOTS: tuple[_Root, ...] = tuple(_root(row) for row in _TABLES["roots"])
#: Company names of suppliers, Palladius-transliterated the way Russian buyers see them.
TRADE_NAMES: tuple[str, ...] = tuple(_TABLES["trade_names"])
#: "в …" forms for descriptions.
CITY_LOCATIVE: dict[str, str] = _TABLES["city_locative"]
TRADING_WORDS: tuple[str, ...] = tuple(_TABLES["trading_words"])
#: Second description sentences: {moq}, {next_qty}, {city} are filled per product.
WHOLESALE_SENTENCES: tuple[str, ...] = tuple(_TABLES["wholesale_sentences"])

MOQ_CHOICES = (1, 2, 5, 10, 20, 50, 100)
MOQ_CUM_WEIGHTS = (30, 45, 63, 78, 88, 95, 100)
#: Break thresholds above the first one (1 or the MOQ).
BREAK_LADDER = (10, 20, 50, 100, 200, 300, 500, 1000, 2000, 5000)
#: A supplier's yuan quote is about its dollar quote × 7.2, so both give similar rouble prices.
CNY_PER_USD_TENTHS = 72
#: Lowest and highest unit prices in minor units: USD 0.50–300, CNY 3–2000.
USD_CENTS = (50, 30_000)
CNY_FEN = (300, 200_000)


# --------------------------------------------------------------------------------------------
# Compiled tables: every word inflected and slugified once, before the product loop.
# --------------------------------------------------------------------------------------------

#: Attribute overrides: (attribute, values); no values drops the attribute.
Overrides = tuple[tuple[str, tuple[str, ...]], ...]
Word = tuple[str, str, Overrides]  # (text, slug, attribute overrides)
Slot = tuple[float, tuple[Word, ...]]  # (probability of appearing, options)

_SLOT_PROBABILITY = {"!": 1.0, "?": 0.5}
_DEFAULT_SLOT_PROBABILITY = 0.8
_ENDINGS = {"m": 0, "f": 1, "n": 2, "p": 3}
#: "|" separates options, except inside an option's "{…}" overrides.
_OPTION_SEPARATOR = re.compile(r"\|(?![^{]*\})")
_OPTION = re.compile(r"(?P<text>[^{]+)(?:\{(?P<overrides>[^}]*)\})?")


def inflect(adjective: str, gender: str) -> str:
    """A masculine adjective (nominative) in the given gender: m, f, n or p (plural).

    Covers the regular declensions the word tables use: -ый (новый), -ой (мужской,
    беговой), -ий after к/г/х (детский), after ж/ш/ч/щ (горячий) and soft -ний (зимний).
    """
    index = _ENDINGS[gender]
    if index == 0:
        return adjective
    stem, ending = adjective[:-2], adjective[-2:]
    last = stem[-1]
    if ending == "ый":
        endings = ("ая", "ое", "ые")
    elif ending == "ой":
        endings = ("ая", "ое", "ие" if last in "кгхжшчщ" else "ые")
    elif last in "кгх":
        endings = ("ая", "ое", "ие")
    elif last in "жшчщ":
        endings = ("ая", "ее", "ие")
    else:
        endings = ("яя", "ее", "ие")
    return stem + endings[index - 1]


def _is_adjective(option: str) -> bool:
    return " " not in option and option[-2:] in ("ый", "ий", "ой") and option[0].islower()


def _parse_option(option: str) -> tuple[str, Overrides]:
    """'кожаный{Материал=кожа|экокожа;Размер=}' -> ('кожаный', (('Материал', (...)), ('Размер', ())))."""
    match = _OPTION.fullmatch(option)
    if match is None:
        raise ValueError(f"malformed word-table option: {option!r}")
    overrides = []
    for item in filter(None, (match["overrides"] or "").split(";")):
        key, _, values = item.partition("=")
        overrides.append((key, tuple(values.split("|")) if values else ()))
    return match["text"], tuple(overrides)


def _word(text: str, overrides: Overrides = ()) -> Word:
    slug = slugify(text)
    # Titles' slugs are joined from their words' slugs, which equals slugify(title) only
    # when no word slugifies to nothing.
    if not slug:
        raise ValueError(f"word-table text without a slug: {text!r}")
    return (text, slug, overrides)


def _compile_slot(slot: str, gender: str) -> Slot:
    probability = _SLOT_PROBABILITY.get(slot[0], _DEFAULT_SLOT_PROBABILITY)
    body = slot.lstrip("!?")
    echoed = None
    if body.startswith("@"):
        echoed, _, body = body[1:].partition(":")
    words = []
    for option in _OPTION_SEPARATOR.split(body):
        text, overrides = _parse_option(option)
        if echoed is not None:
            overrides = ((echoed, (text,)), *overrides)
        words.append(_word(inflect(text, gender) if _is_adjective(text) else text, overrides))
    return probability, tuple(words)


@dataclass(frozen=True)
class _Kind:
    noun: Word
    name_en: str
    price_percent: int
    slots: tuple[Slot, ...]


def _compile_kind(spec: tuple[str, ...]) -> _Kind:
    head, overrides = _parse_option(spec[0])
    noun, gender, name_en, *factor = head.split("/")
    price_percent = int(Decimal(factor[0]) * 100) if factor else 100
    slots = tuple(_compile_slot(slot, gender) for slot in spec[1:])
    return _Kind(_word(noun, overrides), name_en, price_percent, slots)


@dataclass(frozen=True)
class _LeafPlan:
    """One leaf category, ready for the product loop."""

    category_id: int
    root_index: int
    share: int
    kinds: tuple[_Kind, ...]
    attrs: dict[str, tuple[str, ...]]
    codes: tuple[str, ...]
    grams: tuple[int, int]
    cents: tuple[int, int]
    pitches: tuple[str, ...]
    name: str = ""


@dataclass(frozen=True)
class _SupplierPlan:
    """Per root, who sells there (ids with cumulative weights), and every supplier's city."""

    ids_by_root: tuple[tuple[int, ...], ...]
    cum_weights_by_root: tuple[tuple[float, ...], ...]
    locative_by_id: dict[int, str]


def _unique_slug(text: str, used: set[str]) -> str:
    base = slugify(text)
    slug, counter = base, 2
    while slug in used:
        slug, counter = f"{base}-{counter}", counter + 1
    used.add(slug)
    return slug


def _cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    total, result = 0.0, []
    for weight in weights:
        total += weight
        result.append(total)
    return tuple(result)


def _pick(rng: random.Random, items: Sequence[Any], cum_weights: Sequence[float]) -> Any:
    """Weighted choice; ``rng.choices`` without its per-call setup, for the hot loop."""
    return items[bisect.bisect(cum_weights, rng.random() * cum_weights[-1])]


# --------------------------------------------------------------------------------------------
# Categories and suppliers: a few dozen rows, written first so products can reference them.
# --------------------------------------------------------------------------------------------


def _next_id(session: Session, table: Table) -> int:
    return int(session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _insert_categories(session: Session) -> list[_LeafPlan]:
    """The two-level tree, ids in tree order so every parent precedes its children."""
    next_id = _next_id(session, Category.__table__)
    rows: list[dict[str, Any]] = []
    leaves: list[_LeafPlan] = []
    used: set[str] = set()
    for root_index, root in enumerate(ROOTS):
        root_id = next_id
        next_id += 1
        rows.append(_category_row(root_id, None, root.name, root.name_en, root_index + 1, root.icon, used))
        for position, leaf in enumerate(root.leaves, start=1):
            rows.append(_category_row(next_id, root_id, leaf.name, leaf.name_en, position, None, used))
            leaves.append(_plan_leaf(next_id, root_index, root, leaf))
            next_id += 1
    session.execute(insert(Category.__table__), rows)
    return leaves


def _category_row(
    category_id: int, parent_id: int | None, name: str, name_en: str, position: int, icon: str | None, used: set[str]
) -> dict[str, Any]:
    return {
        "id": category_id,
        "parent_id": parent_id,
        "name": name,
        "name_en": name_en,
        "slug": _unique_slug(name, used),
        "position": position,
        "icon": icon,
    }


def _plan_leaf(category_id: int, root_index: int, root: _Root, leaf: _Leaf) -> _LeafPlan:
    return _LeafPlan(
        category_id=category_id,
        root_index=root_index,
        share=leaf.share,
        kinds=tuple(_compile_kind(spec) for spec in leaf.kinds),
        attrs={key: tuple(values.split("|")) for key, values in leaf.attrs},
        codes=tuple(leaf.codes.split("|")) if leaf.codes else (),
        grams=leaf.grams,
        cents=(to_minor(leaf.usd[0]), to_minor(leaf.usd[1])),
        pitches=root.pitches,
        name=leaf.name,
    )


def _parse_city_weights(spec: str) -> tuple[list[str], tuple[float, ...]]:
    pairs = [item.split(":") for item in spec.split()]
    return [city for city, _ in pairs], _cumulative([int(weight) for _, weight in pairs])


def _insert_suppliers(session: Session, rng: random.Random, count: int = SUPPLIER_COUNT) -> _SupplierPlan:
    """Factories specialise in one trade; trading companies (mostly in Yiwu) resell several."""
    first_id = _next_id(session, Supplier.__table__)
    names = rng.sample(TRADE_NAMES, count)
    rows: list[dict[str, Any]] = []
    used: set[str] = set()
    members: list[list[tuple[int, float]]] = [[] for _ in ROOTS]
    locative_by_id: dict[int, str] = {}
    for index, trade_name in enumerate(names):
        supplier_id = first_id + index
        root_index = index % len(ROOTS)
        root = ROOTS[root_index]
        is_factory = rng.random() < 0.65
        cities, city_weights = _parse_city_weights(root.cities)
        city = "Иу" if not is_factory and rng.random() < 0.6 else _pick(rng, cities, city_weights)
        trade = rng.choice(root.industries) if is_factory else rng.choice(TRADING_WORDS)
        name = f"{city} {trade_name} {trade} Ко., Лтд."
        years = rng.randint(1, 9)
        joined = REFERENCE_DATE - timedelta(days=365 * years - rng.randint(0, 300))
        rows.append(
            {
                "id": supplier_id,
                "name": name,
                "slug": _unique_slug(name, used),
                "city": city,
                "rating_tenths": 35 + int(16 * rng.random() ** 0.6),
                "commission_bp": rng.randrange(300, 1201, 50),
                "is_factory": is_factory,
                "years_on_platform": years,
                "created_at": joined,
                "updated_at": joined + timedelta(days=rng.randint(0, 300)),
            }
        )
        locative_by_id[supplier_id] = CITY_LOCATIVE[city]
        # Skewed sizes: a few suppliers carry much of a category, as on real marketplaces.
        size = 0.2 + 3 * rng.random() ** 2
        extra_roots = rng.sample(range(len(ROOTS)), rng.randint(1, 3)) if not is_factory else []
        for member_root in dict.fromkeys([root_index, *extra_roots]):
            members[member_root].append((supplier_id, size if member_root == root_index else size / 3))
    session.execute(insert(Supplier.__table__), rows)
    return _SupplierPlan(
        ids_by_root=tuple(tuple(supplier_id for supplier_id, _ in group) for group in members),
        cum_weights_by_root=tuple(_cumulative([size for _, size in group]) for group in members),
        locative_by_id=locative_by_id,
    )


# --------------------------------------------------------------------------------------------
# Products and price breaks
# --------------------------------------------------------------------------------------------

_TWO_YEARS_SECONDS = 2 * 365 * 24 * 3600
#: Amounts are generated as integer minor units and bound as such: ``type_coerce`` skips
#: ``MoneyType``'s Decimal round trip (about 0.4 µs per amount, ~3 % of a million-product run).
_PRODUCT_INSERT = insert(Product.__table__).values(source_price_from=type_coerce(bindparam("source_minor"), BigInteger))
_BREAK_INSERT = insert(PriceBreak.__table__).values(unit_price=type_coerce(bindparam("price_minor"), BigInteger))


class _ProductFactory:
    """Turns one random stream into product rows and their price breaks."""

    def __init__(self, rng: random.Random, leaves: Sequence[_LeafPlan], suppliers: _SupplierPlan) -> None:
        self.rng = rng
        self.leaves = leaves
        self.leaf_cum_weights = _cumulative([leaf.share for leaf in leaves])
        self.suppliers = suppliers
        # The first products go one to each leaf (in shuffled order), so none is empty.
        self.first_leaves = list(leaves)
        rng.shuffle(self.first_leaves)

    def leaf_for(self, index: int) -> _LeafPlan:
        if index < len(self.first_leaves):
            return self.first_leaves[index]
        return _pick(self.rng, self.leaves, self.leaf_cum_weights)

    def make(self, index: int, product_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        leaf = self.leaf_for(index)
        kind = rng.choice(leaf.kinds)
        title, slug, code, overrides = self._title(leaf, kind)
        attributes, color = self._attributes(leaf, overrides)
        supplier_id = _pick(
            rng, self.suppliers.ids_by_root[leaf.root_index], self.suppliers.cum_weights_by_root[leaf.root_index]
        )
        size = rng.random()  # bigger items cost more and weigh more
        currency = "USD" if rng.random() < 0.6 else "CNY"
        moq = _pick(rng, MOQ_CHOICES, MOQ_CUM_WEIGHTS)
        breaks = self._price_breaks(leaf, kind, size, currency, moq)
        stock, lead_time = self._availability(moq)
        published = REFERENCE_DATE - timedelta(seconds=rng.randrange(_TWO_YEARS_SECONDS))
        status_roll = rng.random()
        row = {
            "id": product_id,
            "supplier_id": supplier_id,
            "category_id": leaf.category_id,
            "sku": f"MK-{product_id:07d}",
            "title": title,
            "title_en": self._title_en(kind, code, color) if rng.random() < 0.3 else None,
            "slug": slug,
            "description": self._description(leaf, moq, breaks, supplier_id),
            "attributes": attributes,
            "weight_grams": self._weight(leaf, size),
            "moq": moq,
            "stock": stock,
            "lead_time_days": lead_time,
            "status": _status(status_roll),
            "currency": currency,
            "source_minor": breaks[-1][1],
            "popularity": int(10_000 * rng.random() ** 3),
            "image_count": 0,
            "published_at": published,
            "created_at": published,
            "updated_at": published,
        }
        break_rows = [
            {"product_id": product_id, "min_quantity": quantity, "price_minor": price} for quantity, price in breaks
        ]
        return row, break_rows

    def _title(self, leaf: _LeafPlan, kind: _Kind) -> tuple[str, str, str | None, list[Overrides]]:
        """Title, its slug (joined from the words' precomputed slugs), the model code if any,
        and the attribute overrides the chosen words carry."""
        rng = self.rng
        texts, slugs, overrides = [kind.noun[0]], [kind.noun[1]], [kind.noun[2]]
        for probability, options in kind.slots:
            if probability >= 1.0 or rng.random() < probability:
                text, slug, word_overrides = rng.choice(options)
                texts.append(text)
                slugs.append(slug)
                overrides.append(word_overrides)
        code = None
        if leaf.codes and rng.random() < 0.35:
            prefix = rng.choice(leaf.codes)
            code = f"{prefix}{rng.randint(2, 99)}" if len(prefix) == 1 else f"{prefix}-{rng.randint(10, 990)}"
            texts.append(code)
            slugs.append(code.lower())
        return " ".join(texts), "-".join(slugs)[:120].rstrip("-"), code, overrides

    def _title_en(self, kind: _Kind, code: str | None, color: str | None) -> str:
        title = f"{kind.name_en} {code}" if code else kind.name_en
        return f"{title}, {color}" if color else title

    def _attributes(self, leaf: _LeafPlan, overrides: list[Overrides]) -> tuple[dict[str, str], str | None]:
        """Attribute values (later overrides win) and the colour's English name, if any."""
        table = leaf.attrs
        if any(overrides):
            table = dict(table)
            for word_overrides in overrides:
                table.update(word_overrides)
        attributes = {key: self.rng.choice(values) for key, values in table.items() if values}
        return attributes, COLOR_NAMES_EN.get(attributes.get("Цвет", ""))

    def _weight(self, leaf: _LeafPlan, size: float) -> int:
        low, high = leaf.grams
        share = 0.7 * size + 0.3 * self.rng.random()
        return max(5, int(low + (high - low) * share) // 5 * 5)

    def _price_breaks(
        self, leaf: _LeafPlan, kind: _Kind, size: float, currency: str, moq: int
    ) -> list[tuple[int, int]]:
        """(threshold, unit price in minor units) pairs, 5–15 % cheaper per piece at each step."""
        floor = USD_CENTS[0] if currency == "USD" else CNY_FEN[0]
        price = _first_price(leaf, kind, size, currency)
        breaks: list[tuple[int, int]] = []
        for quantity in self._thresholds(moq):
            if breaks:
                previous = breaks[-1][1]
                price = previous * (100 - self.rng.randint(5, 15)) // 100
                if currency == "CNY":
                    price = _round_fen(price)
                price = max(floor, min(price, previous - 1))
            breaks.append((quantity, price))
        return breaks

    def _thresholds(self, moq: int) -> list[int]:
        """2–4 thresholds such as 1/10/50/200: the first is 1 or the MOQ, the rest above the MOQ."""
        rng = self.rng
        thresholds = [1 if moq == 1 or rng.random() < 0.15 else moq]
        position = bisect.bisect_right(BREAK_LADDER, moq) + rng.choice((0, 0, 1))
        for _ in range(rng.choice((1, 2, 2, 3, 3))):
            if position >= len(BREAK_LADDER):
                break
            thresholds.append(BREAK_LADDER[position])
            position += rng.choice((1, 2, 2))
        return thresholds

    def _availability(self, moq: int) -> tuple[int, int | None]:
        """(stock, lead time): about 5 % made to order, the rest in stock by the box."""
        rng = self.rng
        if rng.random() < 0.05:
            return 0, rng.randint(7, 45)
        return moq * (1 + int(300 * rng.random() ** 3)) + rng.randint(0, 9), None

    def _description(self, leaf: _LeafPlan, moq: int, breaks: list[tuple[int, int]], supplier_id: int) -> str:
        rng = self.rng
        pitch = rng.choice(leaf.pitches)
        if rng.random() < 0.3:
            return pitch
        sentence = rng.choice(WHOLESALE_SENTENCES).format(
            moq=moq, next_qty=breaks[1][0], city=self.suppliers.locative_by_id[supplier_id]
        )
        return f"{pitch} {sentence}"


def _first_price(leaf: _LeafPlan, kind: _Kind, size: float, currency: str) -> int:
    """The single-piece price in minor units: log-uniform over the leaf's range by ``size``.

    The float only shapes the spread; the amount is whole cents from the first line on.
    """
    low, high = leaf.cents
    cents = int(low * (high / low) ** size) * kind.price_percent // 100
    if currency == "USD":
        return _clamp_first_price(cents, USD_CENTS)
    return _round_fen(_clamp_first_price(cents * CNY_PER_USD_TENTHS // 10, CNY_FEN))


def _clamp_first_price(minor: int, bounds: tuple[int, int]) -> int:
    """Keep the single-piece price in bounds, high enough that three discounts of up to
    15 % each (rounded down) still leave the cheapest break above the lower bound."""
    low, high = bounds
    return min(max(minor, -(-low * 100**3 // 80**3)), high)


def _status(roll: float) -> str:
    """About 1 % archived and 1 % draft, the rest on sale."""
    if roll < 0.01:
        return ProductStatus.ARCHIVED.value
    if roll < 0.02:
        return ProductStatus.DRAFT.value
    return ProductStatus.ACTIVE.value


def _round_fen(fen: int) -> int:
    """Yuan quotes look like 12.5 or 168, not 12.53 or 168.27."""
    if fen >= 10_000:
        return fen // 100 * 100
    if fen >= 1_000:
        return fen // 10 * 10
    return fen


def _product_batches(
    factory: _ProductFactory, first_id: int, total: int, batch_size: int
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Rows for ``batch_size`` products at a time: memory stays flat for any ``total``."""
    for start in range(0, total, batch_size):
        products: list[dict[str, Any]] = []
        breaks: list[dict[str, Any]] = []
        for index in range(start, min(start + batch_size, total)):
            product, product_breaks = factory.make(index, first_id + index)
            products.append(product)
            breaks.extend(product_breaks)
        yield products, breaks


def _sync_id_sequences(session: Session, tables: Sequence[Table]) -> None:
    """Ids were assigned here; PostgreSQL sequences must move past them (SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            select(
                func.setval(
                    func.pg_get_serial_sequence(table.name, "id"),
                    select(func.max(table.c.id)).scalar_subquery(),
                )
            )
        )


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def is_seeded(session: Session) -> bool:
    """True when the catalogue already has a category (seeding needs empty tables)."""
    return session.scalar(select(Category.id).limit(1)) is not None


def seed_demo(
    session: Session,
    products: int = 2000,
    *,
    random_seed: int = 20261125,
    progress: Progress | None = None,
    media_root: Path | None = None,
) -> SeedReport:
    """Fill empty catalogue tables with a deterministic demo catalogue and commit.

    Commits after every batch of products, so an interrupted run leaves a partial catalogue;
    rouble prices are recomputed from the loaded CBR rates at the end (NULL without rates).
    With ``media_root``, every product gets a generated picture (``demo.pictures``) written there.
    """
    if products < 0:
        raise ValueError("products must not be negative")
    if is_seeded(session):
        raise ValueError("the catalogue already has categories; seed_demo needs empty catalogue tables")
    started = time.perf_counter()
    rng = random.Random(random_seed)
    leaves = _insert_categories(session)
    suppliers = _insert_suppliers(session, rng)
    first_product_id = _next_id(session, Product.__table__)
    _sync_id_sequences(session, (Category.__table__, Supplier.__table__))
    session.commit()

    pictures = (
        generate_pictures(media_root, [(leaf.category_id, leaf.root_index, leaf.name) for leaf in leaves])
        if media_root is not None and products
        else None
    )
    factory = _ProductFactory(rng, leaves, suppliers)
    done = break_count = 0
    for product_rows, break_rows in _product_batches(factory, first_product_id, products, BATCH_SIZE):
        session.execute(_PRODUCT_INSERT, product_rows)
        session.execute(_BREAK_INSERT, break_rows)
        if pictures is not None:
            session.execute(insert(ProductPicture.__table__), picture_rows(product_rows, pictures, REFERENCE_DATE))
        index_products(session, [row["id"] for row in product_rows])  # bulk inserts skip the flush hook
        session.commit()
        done += len(product_rows)
        break_count += len(break_rows)
        if progress is not None:
            progress(done, products)

    _sync_id_sequences(session, (Product.__table__,))
    recompute_rouble_prices(session)
    session.commit()
    return SeedReport(
        categories=len(leaves) + len(ROOTS),
        suppliers=len(suppliers.locative_by_id),
        products=products,
        price_breaks=break_count,
        seconds=time.perf_counter() - started,
    )

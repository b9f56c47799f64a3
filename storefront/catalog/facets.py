"""Facet counts of a category listing: each facet counts with every active filter applied except its own.

One grouped read per category set and price range, the *cube*: listable products counted by supplier, MOQ,
in stock or not and attribute set. The total and every facet are then folded from the cube in Python, so a
click on a filter does not scan the category again. The cube is kept like the listing counts
(``CATEGORY_CACHE_SECONDS``), and so is each fold.

The price range has no counts of its own: it is part of the cube's key and so applies to every facet.

The search page folds the same way a cube of its matches (``matched_facets``: the products the query finds at
the price range, at most ``search.queries.CANDIDATES``), so both pages offer the same facets.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.operators import custom_op

from storefront.catalog.models import Product, Supplier
from storefront.catalog.queries import (
    MOQ_RANGES,
    RATING_THRESHOLDS,
    ListingFilters,
    MoqBucket,
    Sort,
    SupplierKind,
    listing_conditions,
    moq_bucket,
)
from storefront.memo import TimedCache

#: At most this many attribute facets, the attributes most products carry first.
MAX_ATTRIBUTE_FACETS = 6
#: An attribute with more distinct values than this in a category (model codes, sizes in mm) is no facet.
MAX_ATTRIBUTE_VALUES = 30
#: Longer attribute values are descriptions, not facet values.
MAX_VALUE_LENGTH = 100

#: Cubes are larger than counts (up to one row per distinct combination): fewer of them are kept.
_cube_cache = TimedCache(max_entries=200)
_facet_cache = TimedCache(max_entries=10_000)
#: Cubes of search matches (``matched_cube``), kept apart so a stream of new queries leaves category cubes alone.
_matched_cube_cache = TimedCache(max_entries=500)
_supplier_cache = TimedCache(max_entries=1)


class CubeRow(NamedTuple):
    city: str
    rating_tenths: int | None
    kind: SupplierKind | None
    moq: MoqBucket
    in_stock: bool
    #: Values of the cube's attribute names, in their order (``None``: the product has none).
    values: tuple[str | None, ...]
    products: int


@dataclass(frozen=True)
class Cube:
    attribute_names: tuple[str, ...]
    rows: tuple[CubeRow, ...]


@dataclass(frozen=True)
class ListingFacets:
    """The listing's total and each facet's (value, count) pairs; values with no products are left
    out unless chosen (a chosen value stays visible so it can be unticked)."""

    total: int
    cities: list[tuple[str, int]]
    moq: list[tuple[MoqBucket, int]]
    ratings: list[tuple[int, int]]
    kinds: list[tuple[SupplierKind, int]]
    in_stock: int
    attributes: list[tuple[str, list[tuple[str, int]]]]


def attribute_facet_names(session: Session, category_ids: Sequence[int], filters: ListingFilters) -> tuple[str, ...]:
    """The attributes offered as facets at this price range (attribute filters on others are ignored)."""
    return _cube(session, category_ids, filters.price_min, filters.price_max).attribute_names


def listing_facets(session: Session, category_ids: Sequence[int], filters: ListingFilters) -> ListingFacets:
    """The total and facet counts of a listing with ``filters``; see the module docstring."""
    key = ("facets", tuple(category_ids), replace(filters, page=1, sort=Sort.POPULAR))
    return _facet_cache.get(
        key, lambda: fold(_cube(session, category_ids, filters.price_min, filters.price_max), filters)
    )


def _cube(session: Session, category_ids: Sequence[int], price_min: Decimal | None, price_max: Decimal | None) -> Cube:
    key = ("cube", tuple(category_ids), price_min, price_max)
    return _cube_cache.get(key, lambda: read_cube(session, category_ids, price_min, price_max))


def read_cube(
    session: Session, category_ids: Sequence[int], price_min: Decimal | None, price_max: Decimal | None
) -> Cube:
    """One GROUP BY over the categories' listable products in the price range."""
    if not category_ids:
        return Cube((), ())
    # The price as «+price» (SQLite's way to say "no index for this term"): a price range would otherwise lead
    # SQLite to the listing's price index, and from there to every row, instead of ix_products_facets alone.
    price = UnaryExpression(
        Product.price_rub_from.expression, operator=custom_op("+"), type_=Product.price_rub_from.type
    )
    conditions = listing_conditions(category_ids, ListingFilters())
    if price_min is not None:
        conditions.append(price >= price_min)
    if price_max is not None:
        conditions.append(price <= price_max)
    return cube_of(session, conditions)


def matched_facets(session: Session, key: Hashable, rows: Sequence[Any], filters: ListingFilters) -> ListingFacets:
    """Facet counts over a set of products found otherwise (a search's matches, at most a few hundred) with
    ``filters``; ``key`` names the set for the cache (the search's query, price range and category)."""
    cube = matched_cube(session, key, rows)
    return _facet_cache.get(("matched", key, replace(filters, page=1, sort=Sort.POPULAR)), lambda: fold(cube, filters))


class FacetRow(Protocol):
    """What a cube needs of a product row a search has already read (``search.queries.candidates``)."""

    @property
    def supplier_id(self) -> int: ...
    @property
    def moq(self) -> int: ...
    @property
    def stock(self) -> int | None: ...
    #: The attributes as stored JSON text (``cast(Product.attributes, Text)``).
    @property
    def attributes_text(self) -> str | None: ...


def matched_cube(session: Session, key: Hashable, rows: Sequence[FacetRow]) -> Cube:
    """The cube of listable product rows already read (a search's matches): grouped here, without a query."""
    return _matched_cube_cache.get(key, lambda: _cube_of_rows(session, rows))


def _cube_of_rows(session: Session, rows: Sequence[FacetRow]) -> Cube:
    grouped: Counter[tuple[Any, ...]] = Counter(
        (row.supplier_id, moq_bucket(row.moq).value, int(row.stock is not None and row.stock > 0), row.attributes_text)
        for row in rows
    )
    return _fold_groups(supplier_facts(session), [(*group, count) for group, count in grouped.items()])


def supplier_facts(session: Session) -> dict[int, tuple[str, int | None, SupplierKind | None]]:
    """Every supplier's city, rating and kind (a small table), kept like the counts."""
    return _supplier_cache.get("suppliers", lambda: _read_suppliers(session))


def _read_suppliers(session: Session) -> dict[int, tuple[str, int | None, Any]]:
    query = select(Supplier.id, Supplier.city, Supplier.rating_tenths, Supplier.is_factory)
    return {
        supplier_id: (city, rating, None if is_factory is None else _kind(is_factory))
        for supplier_id, city, rating, is_factory in session.execute(query)
    }


def cube_of(session: Session, conditions: Sequence[ColumnElement[bool]]) -> Cube:
    """One GROUP BY over the listable products passing ``conditions``, folded by supplier into facet rows."""
    in_stock = case((Product.stock > 0, 1), else_=0)
    bucket = case(
        *((Product.moq <= high, bucket.value) for bucket, (_low, high) in MOQ_RANGES.items() if high is not None),
        else_=MoqBucket.MORE.value,
    )
    attributes = cast(Product.attributes, Text)
    grouped = session.execute(
        select(Product.supplier_id, bucket, in_stock, attributes, func.count())
        .where(*conditions)
        .group_by(Product.supplier_id, bucket, in_stock, attributes)
    ).all()
    return _fold_groups(_read_suppliers(session), grouped)


def _fold_groups(suppliers: dict[int, tuple[str, int | None, Any]], grouped: Sequence[Sequence[Any]]) -> Cube:
    """(supplier id, MOQ bucket value, in stock 0/1, attributes JSON text, products) groups as a cube."""
    per_set: Counter[Any] = Counter()
    for *_rest, raw, count in grouped:
        per_set[raw] += count
    decoded = {raw: _facet_values(raw) for raw in per_set}
    names = _choose_names(per_set, decoded)
    values_of = {raw: tuple(found.get(name) for name in names) for raw, found in decoded.items()}
    buckets = {bucket.value: bucket for bucket in MoqBucket}
    folded: Counter[tuple[Any, ...]] = Counter()
    for supplier_id, moq, stocked, raw, count in grouped:
        folded[(*suppliers.get(supplier_id, ("", None, None)), buckets[moq], bool(stocked), values_of[raw])] += count
    return Cube(names, tuple(CubeRow._make((*key, count)) for key, count in folded.items()))


def _kind(is_factory: bool) -> SupplierKind:
    return SupplierKind.FACTORY if is_factory else SupplierKind.TRADER


def _facet_values(raw: Any) -> dict[str, str]:
    """The attributes of one stored JSON object that may be facet values (short strings)."""
    if isinstance(raw, str):
        return _facet_values_of_text(raw)
    return _usable_values(raw)


@lru_cache(maxsize=65_536)
def _facet_values_of_text(raw: str) -> dict[str, str]:
    """``_facet_values`` of JSON text: catalogues repeat the same few thousand attribute sets (read only)."""
    try:
        return _usable_values(json.loads(raw))
    except ValueError:
        return {}


def _usable_values(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(name): value
        for name, value in raw.items()
        if isinstance(value, str)
        and value.strip()
        and len(value) <= MAX_VALUE_LENGTH
        and usable_attribute_name(str(name))
    }


def _choose_names(per_set: Counter[Any], decoded: dict[Any, dict[str, str]]) -> tuple[str, ...]:
    """Attributes with 2…MAX_ATTRIBUTE_VALUES values, the most widely carried first."""
    coverage: Counter[str] = Counter()
    values: dict[str, set[str]] = {}
    for raw, count in per_set.items():
        for name, value in decoded[raw].items():
            coverage[name] += count
            values.setdefault(name, set()).add(value)
    eligible = [name for name in coverage if 2 <= len(values[name]) <= MAX_ATTRIBUTE_VALUES]
    eligible.sort(key=lambda name: (-coverage[name], name))
    return tuple(eligible[:MAX_ATTRIBUTE_FACETS])


def fold(cube: Cube, filters: ListingFilters) -> ListingFacets:
    """Counts from the cube: a row that passes every filter counts in the total and in every facet;
    a row that fails exactly one filter counts only in that filter's own facet."""
    tests: list[tuple[str, Callable[[CubeRow], bool]]] = []
    if filters.cities:
        cities = set(filters.cities)
        tests.append(("city", lambda row: row.city in cities))
    if filters.in_stock:
        tests.append(("in_stock", lambda row: row.in_stock))
    if filters.moq:
        buckets = set(filters.moq)
        tests.append(("moq", lambda row: row.moq in buckets))
    if filters.rating_min is not None:
        floor = filters.rating_min
        tests.append(("rating", lambda row: row.rating_tenths is not None and row.rating_tenths >= floor))
    if filters.kinds:
        kinds = set(filters.kinds)
        tests.append(("kind", lambda row: row.kind in kinds))
    for name, chosen in filters.attribute_values().items():
        if name in cube.attribute_names:
            tests.append((name, _value_test(cube.attribute_names.index(name), set(chosen))))
        else:  # an attribute the cube has no column for matches nothing
            tests.append((name, lambda row: False))

    total = in_stock = 0
    cities_count: Counter[str] = Counter()
    moq_count: Counter[MoqBucket] = Counter()
    rating_count: Counter[int] = Counter()
    kind_count: Counter[SupplierKind] = Counter()
    attribute_count: list[Counter[str]] = [Counter() for _name in cube.attribute_names]
    for row in cube.rows:
        failed: str | None = None
        for group, test in tests:
            if not test(row):
                if failed is not None:
                    break
                failed = group
        else:
            count = row.products
            if failed is None:
                total += count
            if failed in (None, "city") and row.city:
                cities_count[row.city] += count
            if failed in (None, "in_stock") and row.in_stock:
                in_stock += count
            if failed in (None, "moq"):
                moq_count[row.moq] += count
            if failed in (None, "rating") and row.rating_tenths is not None:
                for threshold in RATING_THRESHOLDS:
                    if row.rating_tenths >= threshold:
                        rating_count[threshold] += count
            if failed in (None, "kind") and row.kind is not None:
                kind_count[row.kind] += count
            for index, name in enumerate(cube.attribute_names):
                value = row.values[index]
                if value is not None and failed in (None, name):
                    attribute_count[index][value] += count

    chosen_attributes = filters.attribute_values()
    return ListingFacets(
        total=total,
        cities=_by_count(cities_count, filters.cities),
        moq=[(bucket, moq_count[bucket]) for bucket in MOQ_RANGES if moq_count[bucket] or bucket in filters.moq],
        ratings=[
            (threshold, rating_count[threshold])
            for threshold in RATING_THRESHOLDS
            if rating_count[threshold] or threshold == filters.rating_min
        ],
        kinds=[(kind, kind_count[kind]) for kind in SupplierKind if kind_count[kind] or kind in filters.kinds],
        in_stock=in_stock,
        attributes=[
            (name, values)
            for index, name in enumerate(cube.attribute_names)
            if (values := _by_count(attribute_count[index], chosen_attributes.get(name, ())))
        ],
    )


def _value_test(index: int, chosen: set[str]) -> Callable[[CubeRow], bool]:
    return lambda row: row.values[index] in chosen


def _by_count(counts: Counter[str], chosen: Sequence[str]) -> list[tuple[str, int]]:
    """Values with products, most first (then by name), and the chosen ones even with none."""
    for value in chosen:
        counts.setdefault(value, 0)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def usable_attribute_name(name: str) -> bool:
    """A name a JSON path can carry on both engines (SQLite's path syntax has no escape for quotes)."""
    return 0 < len(name) <= MAX_VALUE_LENGTH and not any(char in name for char in '"\\\x00')

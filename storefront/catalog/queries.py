"""Catalogue reads: the category tree, listing pages with filters, product detail."""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, func, or_, select, text, union_all
from sqlalchemy.orm import QueryableAttribute, Session, joinedload, selectinload

from storefront import memo
from storefront.catalog.models import LISTABLE, Category, Product, ProductStatus, Supplier
from storefront.errors import NotFound
from storefront.memo import TimedCache
from storefront.pictures.queries import main_picture_key

#: Written out literally (not as bound parameters) so both engines match the partial indexes.
LISTABLE_CONDITION = text(LISTABLE)
#: Deepest page a listing serves; beyond it buyers should filter, not page.
MAX_PAGE = 2000


class Sort(enum.StrEnum):
    POPULAR = "popular"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEW = "new"
    #: Search results only: best match first (listings fall back to popularity).
    RELEVANCE = "relevance"


class MoqBucket(enum.StrEnum):
    """Minimum order quantity ranges of the filter (disjoint, so their counts add up)."""

    ONE = "1"
    TEN = "10"
    HUNDRED = "100"
    MORE = "more"


#: (lowest, highest) MOQ of each bucket; ``None`` means unbounded.
MOQ_RANGES: dict[MoqBucket, tuple[int, int | None]] = {
    MoqBucket.ONE: (1, 1),
    MoqBucket.TEN: (2, 10),
    MoqBucket.HUNDRED: (11, 100),
    MoqBucket.MORE: (101, None),
}


@lru_cache(maxsize=4096)
def moq_bucket(moq: int) -> MoqBucket:
    return next(bucket for bucket, (low, high) in MOQ_RANGES.items() if moq >= low and (high is None or moq <= high))


class SupplierKind(enum.StrEnum):
    FACTORY = "factory"
    TRADER = "trader"


#: Supplier rating thresholds of the filter, in tenths (4.5 and up, 4.0 and up, 3.5 and up).
RATING_THRESHOLDS = (45, 40, 35)


@dataclass(frozen=True)
class ListingFilters:
    sort: Sort = Sort.POPULAR
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    cities: tuple[str, ...] = ()
    in_stock: bool = False
    page: int = 1
    moq: tuple[MoqBucket, ...] = ()
    #: Lowest supplier rating in tenths (one of ``RATING_THRESHOLDS``); suppliers not rated are excluded.
    rating_min: int | None = None
    #: Factory, trading company or both; a supplier of unknown kind is excluded by any choice.
    kinds: tuple[SupplierKind, ...] = ()
    #: (attribute name, value) pairs, sorted: values of one name are alternatives, names all apply.
    attributes: tuple[tuple[str, str], ...] = ()

    @property
    def narrowed(self) -> bool:
        """Some filter (not the sort or the page) is active."""
        return bool(
            self.cities or self.in_stock or self.price_min is not None or self.price_max is not None
            or self.moq or self.rating_min is not None or self.kinds or self.attributes
        )  # fmt: skip

    def attribute_values(self) -> dict[str, tuple[str, ...]]:
        """The attribute filters by name."""
        grouped: dict[str, list[str]] = {}
        for name, value in self.attributes:
            grouped.setdefault(name, []).append(value)
        return {name: tuple(values) for name, values in grouped.items()}


class ProductCard(NamedTuple):
    """What a product card shows (``macros/catalog.html``), read as plain rows.

    Listings, search and the home page show 12–24 cards per request; building ORM objects for
    them (identity map, loader options, a joined supplier) cost more than the query itself.
    """

    id: int
    slug: str
    title: str
    price_rub_from: Decimal | None
    moq: int
    stock: int | None
    lead_time_days: int | None
    supplier_city: str
    #: The file key of the product's first downloaded picture; None shows the placeholder.
    picture_key: str | None = None
    #: The English title, shown on English pages when the feed gave one (``product_title``).
    title_en: str | None = None


_CARD_COLUMNS = (
    Product.id, Product.slug, Product.title, Product.price_rub_from, Product.moq, Product.stock,
    Product.lead_time_days, Supplier.city, main_picture_key(Product.id), Product.title_en,
)  # fmt: skip


def _select_cards() -> Select:
    return select(*_CARD_COLUMNS).join(Supplier, Supplier.id == Product.supplier_id)


def _cards(session: Session, query: Select) -> list[ProductCard]:
    return [ProductCard._make(row) for row in session.execute(query)]


@dataclass(frozen=True)
class ListingPage:
    products: list[ProductCard]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


@dataclass
class CategoryTree:
    """All categories in memory (a few hundred rows): lookups by slug, children, descendants."""

    by_id: dict[int, Category]
    children: dict[int | None, list[Category]] = field(default_factory=dict)

    @property
    def roots(self) -> list[Category]:
        return self.children.get(None, [])

    def by_slug(self, slug: str) -> Category | None:
        return next((category for category in self.by_id.values() if category.slug == slug), None)

    def descendant_ids(self, category_id: int) -> list[int]:
        """The category and everything below it."""
        found, stack = [], [category_id]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(child.id for child in self.children.get(current, []))
        return found

    def ancestors(self, category: Category) -> list[Category]:
        """Root first, ending with ``category`` itself (for breadcrumbs)."""
        chain = [category]
        while chain[-1].parent_id is not None and chain[-1].parent_id in self.by_id:
            chain.append(self.by_id[chain[-1].parent_id])
        return list(reversed(chain))


def load_category_tree(session: Session) -> CategoryTree:
    categories = session.scalars(select(Category).order_by(Category.position, Category.name)).all()
    tree = CategoryTree(by_id={category.id: category for category in categories})
    for category in categories:
        tree.children.setdefault(category.parent_id, []).append(category)
    return tree


#: Per-process cache of the category tree, read by every page (header menu, listings, breadcrumbs).
#: ``catalog.init_app`` sets the lifetime from CATEGORY_CACHE_SECONDS (0 in tests: no cache).
_tree_cache: dict = {"seconds": 0.0, "tree": None, "expires": 0.0}


#: Listing counts (total, cities) by category and filters, kept as long as the tree: counting a
#: 50,000-product category on every request would cost more than the rest of the page.
_count_cache = TimedCache(max_entries=10_000)


def configure_category_cache(seconds: float) -> None:
    """Lifetime of the tree and of every ``memo`` cache (counts, search, suggest)."""
    _tree_cache.update(seconds=seconds, tree=None, expires=0.0)
    memo.configure(seconds)


def _cached_count(key: tuple, compute: Callable[[], Any]) -> Any:
    return _count_cache.get(key, compute)


def cached_category_tree(session: Session) -> CategoryTree:
    """The category tree, reloaded at most every CATEGORY_CACHE_SECONDS; its objects are detached."""
    if _tree_cache["seconds"] <= 0:
        return load_category_tree(session)
    now = time.monotonic()
    if _tree_cache["tree"] is None or now >= _tree_cache["expires"]:
        tree = load_category_tree(session)
        for category in tree.by_id.values():
            session.expunge(category)
        _tree_cache.update(tree=tree, expires=now + _tree_cache["seconds"])
    return _tree_cache["tree"]


def listing_conditions(category_ids: Sequence[int] | None, filters: ListingFilters) -> list:
    """WHERE clauses of a listing: active, priced, the filters; ``None`` means every category."""
    conditions: list = [LISTABLE_CONDITION]
    if category_ids is not None:
        conditions.append(
            Product.category_id.in_(category_ids) if len(category_ids) > 1 else Product.category_id == category_ids[0]
        )
    if filters.price_min is not None:
        conditions.append(Product.price_rub_from >= filters.price_min)
    if filters.price_max is not None:
        conditions.append(Product.price_rub_from <= filters.price_max)
    if filters.in_stock:
        conditions.append(Product.stock > 0)
    if filters.cities:
        conditions.append(Product.supplier_id.in_(select(Supplier.id).where(Supplier.city.in_(filters.cities))))
    if filters.moq:
        conditions.append(or_(*(_moq_range(bucket) for bucket in sorted(set(filters.moq)))))
    if filters.rating_min is not None:
        conditions.append(
            Product.supplier_id.in_(select(Supplier.id).where(Supplier.rating_tenths >= filters.rating_min))
        )
    if filters.kinds:
        kinds = set(filters.kinds)
        known_kind = (
            Supplier.is_factory.is_not(None)
            if len(kinds) > 1
            else Supplier.is_factory.is_(SupplierKind.FACTORY in kinds)
        )
        conditions.append(Product.supplier_id.in_(select(Supplier.id).where(known_kind)))
    for name, values in filters.attribute_values().items():
        value = Product.attributes[name].as_string()
        conditions.append(value.in_(values) if len(values) > 1 else value == values[0])
    return conditions


def _moq_range(bucket: MoqBucket) -> ColumnElement[bool]:
    low, high = MOQ_RANGES[bucket]
    if high is None:
        return Product.moq >= low
    return Product.moq == low if low == high else Product.moq.between(low, high)


def _sort_columns(sort: Sort) -> tuple[QueryableAttribute[Any], QueryableAttribute[Any]]:
    if sort in (Sort.PRICE_ASC, Sort.PRICE_DESC):
        return Product.price_rub_from, Product.id
    if sort is Sort.NEW:
        return Product.published_at, Product.id
    return Product.popularity, Product.id


def _order(columns: Sequence[ColumnElement | QueryableAttribute[Any]], sort: Sort) -> list[ColumnElement]:
    return [column.asc() if sort is Sort.PRICE_ASC else column.desc() for column in columns]


def _page_query(category_ids: Sequence[int], filters: ListingFilters, limit: int, offset: int) -> Select:
    """The ids of one page, ordered by the chosen sort, as a query (with the sort key).

    Each category is read on its own (category, sort key) index, at most ``offset + limit``
    entries, and the runs are merged: with ``category_id IN (…)`` both engines would instead
    sort every product of a large parent category.
    """
    conditions = listing_conditions(None, filters)
    sort_key, tie = _sort_columns(filters.sort)
    if len(category_ids) == 1:
        query = select(sort_key.label("sort_key"), tie.label("id")).where(
            Product.category_id == category_ids[0], *conditions
        )
        return query.order_by(*_order((sort_key, tie), filters.sort)).limit(limit).offset(offset)
    runs = [
        select(sort_key.label("sort_key"), tie.label("id"))
        .where(Product.category_id == category_id, *conditions)
        .order_by(*_order((sort_key, tie), filters.sort))
        .limit(offset + limit)
        .subquery()
        for category_id in category_ids
    ]
    merged = union_all(*(select(run.c.sort_key, run.c.id) for run in runs)).subquery()
    query = select(merged.c.sort_key, merged.c.id).order_by(*_order((merged.c.sort_key, merged.c.id), filters.sort))
    return query.limit(limit).offset(offset)


def _count(session: Session, category_ids: Sequence[int], filters: ListingFilters) -> int:
    conditions = listing_conditions(None, filters)
    return sum(
        session.scalar(select(func.count()).select_from(Product).where(Product.category_id == category_id, *conditions))
        or 0
        for category_id in category_ids
    )


def list_products(
    session: Session, category_ids: Sequence[int], filters: ListingFilters, per_page: int, total: int | None = None
) -> ListingPage:
    """One page of listable products in the given categories (``total``: their count, when the
    caller already has it from the facets).

    Ids are paged on the narrow partial indexes first, then only the page's rows are loaded
    with their suppliers' cities.
    """
    if not category_ids:
        return ListingPage([], 0, 1, per_page)
    if total is None:
        key = ("total", tuple(category_ids), replace(filters, page=1, sort=Sort.POPULAR))
        total = _cached_count(key, lambda: _count(session, category_ids, filters))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages, MAX_PAGE)
    # One statement: the page's ids on the narrow index (index-only, however deep the page),
    # then only those rows joined to products and suppliers for the cards.
    ids = _page_query(category_ids, filters, per_page, (page - 1) * per_page).subquery("page_ids")
    cards = _select_cards().join(ids, ids.c.id == Product.id)
    cards = cards.order_by(*_order((ids.c.sort_key, ids.c.id), filters.sort))
    return ListingPage(_cards(session, cards), total, page, per_page)


def count_by_city(session: Session, category_ids: Sequence[int]) -> list[tuple[str, int]]:
    """Supplier cities among the categories' listable products, with counts (for the filter).

    Counted per category and supplier on the (category, supplier) index, then folded into
    cities: a join to suppliers would read every product row. Cached like the total.
    """
    return _cached_count(("cities", tuple(category_ids)), lambda: _count_by_city(session, category_ids))


def _count_by_city(session: Session, category_ids: Sequence[int]) -> list[tuple[str, int]]:
    city_of = dict(session.execute(select(Supplier.id, Supplier.city)).all())
    counts: dict[str, int] = {}
    for category_id in category_ids:
        per_supplier = session.execute(
            select(Product.supplier_id, func.count())
            .where(Product.category_id == category_id, LISTABLE_CONDITION)
            .group_by(Product.supplier_id)
        )
        for supplier_id, count in per_supplier:
            if city_of[supplier_id]:  # a feed supplier's unknown city is no filter value
                counts[city_of[supplier_id]] = counts.get(city_of[supplier_id], 0) + count
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def load_in_order(session: Session, ids: Sequence[int]) -> list[ProductCard]:
    """Cards of the products with these ids, in the order of ``ids``."""
    if not ids:
        return []
    cards = _cards(session, _select_cards().where(Product.id.in_(ids)))
    position = {product_id: index for index, product_id in enumerate(ids)}
    return sorted(cards, key=lambda card: position[card.id])


def list_popular_products(session: Session, limit: int = 12) -> list[ProductCard]:
    """Most popular active products across the catalogue, for the home page."""
    query = _select_cards().where(LISTABLE_CONDITION).order_by(Product.popularity.desc(), Product.id.desc())
    return _cards(session, query.limit(limit))


def get_product(session: Session, product_id: int) -> Product:
    """An active or archived product with supplier, category and breaks; drafts are hidden."""
    product = session.scalars(
        select(Product)
        .options(joinedload(Product.supplier), joinedload(Product.category), selectinload(Product.price_breaks))
        .where(Product.id == product_id, Product.status != ProductStatus.DRAFT)
    ).first()
    if product is None:
        raise NotFound(f"product {product_id}")
    return product


def list_supplier_cities(session: Session) -> list[str]:
    """Every supplier city (the search page's filter), cached like the listing counts."""
    return _count_cache.get(
        ("supplier-cities",),
        lambda: list(
            session.scalars(select(Supplier.city).where(Supplier.city != "").distinct().order_by(Supplier.city))
        ),
    )

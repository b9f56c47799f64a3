"""Catalogue reads: the category tree, listing pages with filters, product detail."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select, text, union_all
from sqlalchemy.orm import Session, joinedload, selectinload

from storefront.catalog.models import LISTABLE, Category, Product, ProductStatus, Supplier
from storefront.errors import NotFound

#: Written out literally (not as bound parameters) so both engines match the partial indexes.
LISTABLE_CONDITION = text(LISTABLE)
#: Deepest page a listing serves; beyond it buyers should filter, not page.
MAX_PAGE = 2000


class Sort(enum.StrEnum):
    POPULAR = "popular"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEW = "new"


@dataclass(frozen=True)
class ListingFilters:
    sort: Sort = Sort.POPULAR
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    cities: tuple[str, ...] = ()
    in_stock: bool = False
    page: int = 1


@dataclass(frozen=True)
class ListingPage:
    products: list[Product]
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


def _filter_conditions(filters: ListingFilters) -> list:
    """Everything a listing filters on except the category."""
    conditions: list = [LISTABLE_CONDITION]
    if filters.price_min is not None:
        conditions.append(Product.price_rub_from >= filters.price_min)
    if filters.price_max is not None:
        conditions.append(Product.price_rub_from <= filters.price_max)
    if filters.in_stock:
        conditions.append(Product.stock > 0)
    if filters.cities:
        conditions.append(Product.supplier_id.in_(select(Supplier.id).where(Supplier.city.in_(filters.cities))))
    return conditions


def _sort_columns(sort: Sort) -> tuple[ColumnElement, ColumnElement]:
    if sort in (Sort.PRICE_ASC, Sort.PRICE_DESC):
        return Product.price_rub_from, Product.id
    if sort is Sort.NEW:
        return Product.published_at, Product.id
    return Product.popularity, Product.id


def _order(columns: Sequence[ColumnElement], sort: Sort) -> list[ColumnElement]:
    return [column.asc() if sort is Sort.PRICE_ASC else column.desc() for column in columns]


def _page_of_ids(
    session: Session, category_ids: Sequence[int], filters: ListingFilters, limit: int, offset: int
) -> list[int]:
    """Ids of one page, ordered by the chosen sort.

    Each category is read on its own (category, sort key) index, at most ``offset + limit``
    entries, and the runs are merged: with ``category_id IN (…)`` both engines would instead
    sort every product of a large parent category.
    """
    conditions = _filter_conditions(filters)
    sort_key, tie = _sort_columns(filters.sort)
    if len(category_ids) == 1:
        query = select(Product.id).where(Product.category_id == category_ids[0], *conditions)
        return list(session.scalars(query.order_by(*_order((sort_key, tie), filters.sort)).limit(limit).offset(offset)))
    runs = [
        select(sort_key.label("sort_key"), tie.label("id"))
        .where(Product.category_id == category_id, *conditions)
        .order_by(*_order((sort_key, tie), filters.sort))
        .limit(offset + limit)
        .subquery()
        for category_id in category_ids
    ]
    merged = union_all(*(select(run.c.sort_key, run.c.id) for run in runs)).subquery()
    query = select(merged.c.id).order_by(*_order((merged.c.sort_key, merged.c.id), filters.sort))
    return list(session.scalars(query.limit(limit).offset(offset)))


def _count(session: Session, category_ids: Sequence[int], filters: ListingFilters) -> int:
    conditions = _filter_conditions(filters)
    return sum(
        session.scalar(select(func.count()).select_from(Product).where(Product.category_id == category_id, *conditions))
        or 0
        for category_id in category_ids
    )


def list_products(session: Session, category_ids: Sequence[int], filters: ListingFilters, per_page: int) -> ListingPage:
    """One page of listable products in the given categories.

    Ids are paged on the narrow partial indexes first, then only the page's rows are loaded
    with their suppliers.
    """
    if not category_ids:
        return ListingPage([], 0, 1, per_page)
    total = _count(session, category_ids, filters)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages, MAX_PAGE)
    ids = _page_of_ids(session, category_ids, filters, per_page, (page - 1) * per_page)
    if not ids:
        return ListingPage([], total, page, per_page)
    rows = session.scalars(select(Product).options(joinedload(Product.supplier)).where(Product.id.in_(ids))).all()
    position = {product_id: index for index, product_id in enumerate(ids)}
    products = sorted(rows, key=lambda product: position[product.id])
    return ListingPage(products, total, page, per_page)


def count_by_city(session: Session, category_ids: Sequence[int]) -> list[tuple[str, int]]:
    """Supplier cities among the categories' listable products, with counts (for the filter).

    Counted per category and supplier on the (category, supplier) index, then folded into
    cities: a join to suppliers would read every product row.
    """
    city_of = dict(session.execute(select(Supplier.id, Supplier.city)).all())
    counts: dict[str, int] = {}
    for category_id in category_ids:
        per_supplier = session.execute(
            select(Product.supplier_id, func.count())
            .where(Product.category_id == category_id, LISTABLE_CONDITION)
            .group_by(Product.supplier_id)
        )
        for supplier_id, count in per_supplier:
            counts[city_of[supplier_id]] = counts.get(city_of[supplier_id], 0) + count
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def list_popular_products(session: Session, limit: int = 12) -> list[Product]:
    """Most popular active products across the catalogue, for the home page."""
    return list(
        session.scalars(
            select(Product)
            .options(joinedload(Product.supplier))
            .where(LISTABLE_CONDITION)
            .order_by(Product.popularity.desc(), Product.id.desc())
            .limit(limit)
        )
    )


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
    return list(session.scalars(select(Supplier.city).distinct().order_by(Supplier.city)))

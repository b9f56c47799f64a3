"""Category listings: sort, filters and pagination checked against a plain Python model."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from storefront.catalog.models import Product, ProductStatus
from storefront.catalog.queries import ListingFilters, Sort, count_by_city, list_products, load_category_tree
from storefront.db import utcnow
from tests.support.factories import create_category, create_product, create_supplier, load_rates

CITIES = ["Гуанчжоу", "Иу", "Нинбо"]


@pytest.fixture
def catalogue(session):
    """60 products over two leaf categories under one root, with random prices, stock and cities."""
    load_rates(session, usd="80.0000", cny="11.0000")
    rng = random.Random(7)
    root = create_category(session, "Обувь")
    leaves = [create_category(session, "Кроссовки", parent=root), create_category(session, "Ботинки", parent=root)]
    other = create_category(session, "Игрушки")
    suppliers = [create_supplier(session, city=city) for city in CITIES]
    now = utcnow()
    products = []
    for index in range(60):
        products.append(
            create_product(
                session,
                leaves[index % 2],
                rng.choice(suppliers),
                title=f"Кроссовки модель {index}",
                breaks=[(1, f"{rng.randint(100, 5000) / 100:.2f}")],
                currency=rng.choice(["USD", "CNY"]),
                stock=rng.choice([0, 0, 5, 100]),
                lead_time_days=20,
                popularity=rng.randint(0, 50),  # ties on purpose: the id breaks them
                published_at=now - timedelta(days=rng.randint(0, 300)),
                status=ProductStatus.ARCHIVED if index % 17 == 0 else ProductStatus.ACTIVE,
            )
        )
    create_product(session, other, suppliers[0], title="Конструктор")
    session.commit()
    return {"root": root, "leaves": leaves, "products": products}


def reference(products, filters: ListingFilters, cities_of):
    rows = [p for p in products if p.status == ProductStatus.ACTIVE]
    if filters.price_min is not None:
        rows = [p for p in rows if p.price_rub_from >= filters.price_min]
    if filters.price_max is not None:
        rows = [p for p in rows if p.price_rub_from <= filters.price_max]
    if filters.in_stock:
        rows = [p for p in rows if p.stock > 0]
    if filters.cities:
        rows = [p for p in rows if cities_of[p.id] in filters.cities]
    keys = {
        Sort.POPULAR: lambda p: (-p.popularity, -p.id),
        Sort.PRICE_ASC: lambda p: (p.price_rub_from, p.id),
        Sort.PRICE_DESC: lambda p: (-p.price_rub_from, -p.id),
        Sort.NEW: lambda p: (-p.published_at.timestamp(), -p.id),
    }
    return [p.id for p in sorted(rows, key=keys[filters.sort])]


@pytest.mark.parametrize("sort", [sort for sort in Sort if sort is not Sort.RELEVANCE])
@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"in_stock": True},
        {"price_min": Decimal("1000"), "price_max": Decimal("2500")},
        {"cities": ("Иу", "Нинбо")},
        {"cities": ("Гуанчжоу",), "in_stock": True, "price_min": Decimal("500")},
    ],
)
def test_every_page_matches_the_reference(session, catalogue, sort, extra):
    tree = load_category_tree(session)
    ids = tree.descendant_ids(catalogue["root"].id)
    cities_of = {p.id: p.supplier.city for p in catalogue["products"]}
    expected = reference(catalogue["products"], ListingFilters(sort=sort, **extra), cities_of)
    seen, page = [], 1
    while True:
        listing = list_products(session, ids, ListingFilters(sort=sort, page=page, **extra), per_page=7)
        assert listing.total == len(expected)
        seen.extend(p.id for p in listing.products)
        if not listing.has_next:
            break
        page += 1
    assert seen == expected


def test_a_page_past_the_end_shows_the_last_page(session, catalogue):
    ids = load_category_tree(session).descendant_ids(catalogue["root"].id)
    listing = list_products(session, ids, ListingFilters(page=999), per_page=10)
    assert listing.page == listing.pages
    assert listing.products


def test_subcategory_lists_only_its_own_products(session, catalogue):
    leaf = catalogue["leaves"][0]
    listing = list_products(session, [leaf.id], ListingFilters(), per_page=100)
    leaf_ids = set(session.scalars(select(Product.id).where(Product.category_id == leaf.id)))
    assert listing.products
    assert {card.id for card in listing.products} <= leaf_ids


def test_city_counts_equal_a_direct_count(session, catalogue):
    ids = load_category_tree(session).descendant_ids(catalogue["root"].id)
    counts = dict(count_by_city(session, ids))
    active = [p for p in catalogue["products"] if p.status == ProductStatus.ACTIVE]
    for city in CITIES:
        assert counts.get(city, 0) == sum(1 for p in active if p.supplier.city == city)

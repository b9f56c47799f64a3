"""Facet counts against a plain Python reference on random catalogues: each facet counts with every
active filter applied except its own; the total and the page agree with the same reference."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from storefront.catalog.facets import attribute_facet_names, listing_facets
from storefront.catalog.models import Product, ProductStatus
from storefront.catalog.queries import (
    RATING_THRESHOLDS,
    ListingFilters,
    MoqBucket,
    SupplierKind,
    list_products,
    moq_bucket,
)
from tests.support.factories import create_category, create_product, create_supplier, load_rates

CITIES = ("Иу", "Гуанчжоу", "")
ATTRIBUTES = {"Цвет": ("красный", "синий", "чёрный"), "Размер": ("S", "M"), "Материал": ("хлопок",)}
PRICES = ("1.00", "2.50", "4.00", "9.99")

suppliers = st.lists(
    st.tuples(st.sampled_from(CITIES), st.sampled_from((None, 30, 38, 40, 47)), st.sampled_from((None, True, False))),
    min_size=1,
    max_size=3,
)
attribute_sets = st.fixed_dictionaries(
    {}, optional={name: st.sampled_from(values) for name, values in ATTRIBUTES.items()}
)
products = st.lists(
    st.fixed_dictionaries(
        {
            "supplier": st.integers(0, 2),
            "leaf": st.integers(0, 1),
            "moq": st.sampled_from((1, 2, 10, 11, 100, 101)),
            "stock": st.sampled_from((None, 0, 7)),
            "status": st.sampled_from((ProductStatus.ACTIVE, ProductStatus.ACTIVE, ProductStatus.ARCHIVED)),
            "price": st.sampled_from(PRICES),
            "attributes": attribute_sets,
        }
    ),
    max_size=12,
)
price_bounds = st.sampled_from((None, Decimal("100"), Decimal("230"), Decimal("400")))
filters = st.builds(
    ListingFilters,
    price_min=price_bounds,
    price_max=price_bounds,
    cities=st.lists(st.sampled_from(CITIES[:2] + ("Нинбо",)), unique=True, max_size=2).map(tuple),
    in_stock=st.booleans(),
    moq=st.lists(st.sampled_from(list(MoqBucket)), unique=True, max_size=2).map(lambda b: tuple(sorted(b))),
    rating_min=st.sampled_from((None, *RATING_THRESHOLDS)),
    kinds=st.lists(st.sampled_from(list(SupplierKind)), unique=True, max_size=2).map(tuple),
    attributes=st.lists(
        st.sampled_from([(name, value) for name, values in ATTRIBUTES.items() for value in values]),
        unique=True,
        max_size=3,
    ).map(lambda pairs: tuple(sorted(pairs))),
)


def _kind(product: Product) -> SupplierKind | None:
    factory = product.supplier.is_factory
    return None if factory is None else SupplierKind.FACTORY if factory else SupplierKind.TRADER


def reference(catalogue: list[Product], chosen: ListingFilters) -> dict[str, Any]:
    """Straight from the definition: for each facet, the products passing every other filter."""
    rows = [
        p
        for p in catalogue
        if p.status == ProductStatus.ACTIVE
        and p.price_rub_from is not None
        and (chosen.price_min is None or p.price_rub_from >= chosen.price_min)
        and (chosen.price_max is None or p.price_rub_from <= chosen.price_max)
    ]
    values: dict[str, set[str]] = {}
    for p in rows:
        for name, value in p.attributes.items():
            values.setdefault(name, set()).add(value)
    names = {name for name, found in values.items() if len(found) >= 2}
    tests: dict[str, Callable[[Product], bool]] = {}
    if chosen.cities:
        tests["city"] = lambda p: p.supplier.city in chosen.cities
    if chosen.in_stock:
        tests["in_stock"] = lambda p: (p.stock or 0) > 0
    if chosen.moq:
        tests["moq"] = lambda p: moq_bucket(p.moq) in chosen.moq
    if chosen.rating_min is not None:
        tests["rating"] = lambda p: (p.supplier.rating_tenths or -1) >= chosen.rating_min
    if chosen.kinds:
        tests["kind"] = lambda p: _kind(p) in chosen.kinds
    for name, wanted in chosen.attribute_values().items():
        tests[f"attr:{name}"] = lambda p, name=name, wanted=wanted: p.attributes.get(name) in wanted

    def others(group: str) -> list[Product]:
        return [p for p in rows if all(test(p) for key, test in tests.items() if key != group)]

    ratings: Counter[int] = Counter()
    for p in others("rating"):
        for threshold in RATING_THRESHOLDS:
            if p.supplier.rating_tenths is not None and p.supplier.rating_tenths >= threshold:
                ratings[threshold] += 1
    return {
        "ids": {p.id for p in others("")},
        "names": names,
        "cities": Counter(p.supplier.city for p in others("city") if p.supplier.city),
        "in_stock": sum(1 for p in others("in_stock") if (p.stock or 0) > 0),
        "moq": Counter(moq_bucket(p.moq) for p in others("moq")),
        "ratings": ratings,
        "kinds": Counter(_kind(p) for p in others("kind") if _kind(p) is not None),
        "attributes": {
            name: Counter(p.attributes[name] for p in others(f"attr:{name}") if name in p.attributes) for name in names
        },
    }


def assert_counts_match(facets: Any, chosen: ListingFilters, expected: dict[str, Any]) -> None:
    """Every facet's non-zero counts (and the chosen values, even at zero) equal the Python reference's."""
    assert _nonzero(facets.cities, chosen.cities) == expected["cities"]
    assert facets.in_stock == expected["in_stock"]
    assert _nonzero(facets.moq, chosen.moq) == expected["moq"]
    assert _nonzero(facets.ratings, [chosen.rating_min]) == expected["ratings"]
    assert _nonzero(facets.kinds, chosen.kinds) == expected["kinds"]
    chosen_values = chosen.attribute_values()
    shown = {name: _nonzero(values, chosen_values.get(name, ())) for name, values in facets.attributes}
    assert {name: counts for name, counts in shown.items() if counts} == {
        name: counts for name, counts in expected["attributes"].items() if counts
    }


def _nonzero(pairs: list[tuple[Any, int]], chosen: tuple[Any, ...] | list[Any]) -> Counter[Any]:
    """The counts shown, checking that only chosen values are shown with none."""
    for value, count in pairs:
        assert count > 0 or value in chosen, (value, count)
    return Counter({value: count for value, count in pairs if count})


def _build(session: Session, data: list[dict[str, Any]], supplier_rows: list[tuple[Any, ...]]) -> tuple[Any, list]:
    load_rates(session, usd="80.0000", cny="11.0000")
    root = create_category(session, "Одежда")
    leaves = [create_category(session, "Футболки", parent=root), create_category(session, "Худи", parent=root)]
    made = [
        create_supplier(session, city=city, rating_tenths=rating, is_factory=factory)
        for city, rating, factory in supplier_rows
    ]
    catalogue = [
        create_product(
            session,
            leaves[row["leaf"]],
            made[row["supplier"] % len(made)],
            title=f"Футболка {index}",
            breaks=[(1, row["price"])],
            moq=row["moq"],
            stock=row["stock"],
            status=row["status"],
            attributes=row["attributes"],
        )
        for index, row in enumerate(data)
    ]
    session.flush()
    return root, catalogue


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(supplier_rows=suppliers, data=products, chosen=filters)
def test_facet_counts_total_and_page_match_the_reference(
    session: Session, supplier_rows: list[tuple[Any, ...]], data: list[dict[str, Any]], chosen: ListingFilters
) -> None:
    try:
        root, catalogue = _build(session, data, supplier_rows)
        ids = [root.id, *(p.category_id for p in catalogue)]
        ids = sorted(set(ids))
        names = attribute_facet_names(session, ids, chosen)
        # As the page does: attribute filters only on the attributes offered as facets.
        chosen = replace(chosen, attributes=tuple(pair for pair in chosen.attributes if pair[0] in names))
        expected = reference(catalogue, chosen)
        facets = listing_facets(session, ids, chosen)

        assert set(names) == expected["names"]
        assert facets.total == len(expected["ids"])
        page = list_products(session, ids, chosen, per_page=100)  # the SQL filters, counted without the cube
        assert page.total == len(expected["ids"])
        assert {card.id for card in page.products} == expected["ids"]
        assert_counts_match(facets, chosen, expected)
    finally:
        session.rollback()


def test_a_city_count_applies_the_other_filters_but_not_its_own(session: Session) -> None:
    """The reported bug: «Иу 74» next to 40 results."""
    load_rates(session)
    category = create_category(session, "Сумки")
    yiwu, guangzhou = create_supplier(session, city="Иу"), create_supplier(session, city="Гуанчжоу")
    for index in range(6):
        create_product(session, category, yiwu if index % 2 else guangzhou, title=f"Сумка {index}", stock=index % 3)
    session.commit()
    facets = listing_facets(session, [category.id], ListingFilters(in_stock=True, cities=("Иу",)))
    assert facets.total == 2  # Иу has stock 1, 0, 2 → two in stock
    assert dict(facets.cities) == {"Иу": 2, "Гуанчжоу": 2}  # in stock applies, the city choice does not
    assert facets.in_stock == 2  # the city applies, the stock choice does not

"""The search page's facets: the category page's facets (attributes, minimum order, supplier rating, factory or
trading company, city, stock) counted over the query's matches with every other active filter applied, checked
against the category facets' Python reference on random catalogues; the page shows them with removable chips and
one reset link."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from storefront.catalog.facets import matched_cube, matched_facets
from storefront.catalog.queries import ListingFilters, Sort
from storefront.search.queries import matched_products, search_products
from tests.storefront.catalog.test_facets import _build, assert_counts_match, filters, products, reference, suppliers
from tests.support.factories import create_category, create_product, create_supplier, load_rates


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(supplier_rows=suppliers, data=products, chosen=filters, found=st.lists(st.booleans(), min_size=12, max_size=12))
def test_search_facet_counts_and_results_match_the_reference(
    session: Session,
    supplier_rows: list[tuple[Any, ...]],
    data: list[dict[str, Any]],
    chosen: ListingFilters,
    found: list[bool],
) -> None:
    try:
        _root, catalogue = _build(session, data, supplier_rows)
        for product, hit in zip(catalogue, found, strict=False):
            product.title = f"Поло {product.id}" if hit else f"Шапка {product.id}"
        session.flush()  # reindexes the changed titles
        matching = [product for product, hit in zip(catalogue, found, strict=False) if hit]
        chosen = replace(chosen, sort=Sort.RELEVANCE)

        key, rows = matched_products(session, "поло", chosen)
        names = matched_cube(session, key, rows).attribute_names
        # As the page does: attribute filters only on the attributes offered as facets.
        chosen = replace(chosen, attributes=tuple(pair for pair in chosen.attributes if pair[0] in names))
        expected = reference(matching, chosen)
        facets = matched_facets(session, key, rows, chosen)
        result = search_products(session, "поло", chosen, per_page=100)

        assert set(names) == expected["names"]
        assert facets.total == len(expected["ids"])
        assert {card.id for card in result.listing.products} == expected["ids"]  # the SQL filters agree
        assert_counts_match(facets, chosen, expected)
    finally:
        session.rollback()


@pytest.fixture
def polos(session):
    load_rates(session)
    category = create_category(session, "Одежда", slug="odezhda")
    factory = create_supplier(session, city="Иу", is_factory=True, rating_tenths=47)
    trader = create_supplier(session, city="Гуанчжоу", is_factory=False, rating_tenths=40)
    for index in range(8):
        create_product(
            session,
            category,
            (factory, trader)[index % 2],
            title=f"Поло мужское {index}",
            moq=(1, 50)[index // 4],
            attributes={"Цвет": ("чёрный", "белый")[index % 2], "Размер": ("M", "L", "XL")[index % 3]},
        )
    create_product(session, category, factory, title="Шапка вязаная", attributes={"Цвет": "чёрный"})
    session.commit()
    return category


def test_the_search_page_offers_the_category_facets_with_chips_and_one_reset(client, polos):
    page = client.get("/search?q=поло").get_data(as_text=True)
    for legend in ("Минимальная партия", "Поставщик", "Рейтинг поставщика", "Цвет", "Размер"):
        assert f"<legend>{legend}</legend>" in page, legend
    assert 'value="Цвет:чёрный"' in page and 'value="factory"' in page
    assert 'class="chip"' not in page

    page = client.get("/search?q=поло&attr=Цвет:чёрный&kind=factory&moq=1&sort=price_asc").get_data(as_text=True)
    assert "Найдено 2 товара" in page
    assert page.count('class="chip"') == 3
    # The colour counts apply the supplier and MOQ filters but not their own: the factory's MOQ-1 polos are black.
    assert 'value="Цвет:чёрный" checked> чёрный <span class="muted facet-count">2</span>' in page
    assert 'value="Цвет:белый"' not in page
    # The kind counts apply colour and MOQ: no trading company sells black polos from one piece.
    assert 'value="factory" checked> Фабрика <span class="muted facet-count">2</span>' in page
    assert 'value="trader"' not in page
    # The MOQ counts apply colour and kind: black polos from the factory, 2 from one piece and 2 from 50.
    assert page.count('<span class="muted facet-count">2</span>') >= 4
    assert page.count("Сбросить все") == 1
    assert 'class="chips-reset" href="/search?q=%D0%BF%D0%BE%D0%BB%D0%BE&amp;sort=price_asc"' in page


def test_a_chip_link_removes_only_its_filter(client, polos):
    page = client.get("/search?q=поло&attr=Цвет:чёрный&kind=factory").get_data(as_text=True)
    assert page.count('class="chip"') == 2
    start = page.index('class="chip" href="') + len('class="chip" href="')
    href = page[start : page.index('"', start)].replace("&amp;", "&")
    after = client.get(href).get_data(as_text=True)
    assert after.count('class="chip"') == 1
    assert "q=" in href


def test_a_query_naming_a_category_fills_up_with_its_most_popular_other_products(session, monkeypatch):
    from storefront.search import queries

    monkeypatch.setattr(queries, "CANDIDATES", 5)
    load_rates(session)
    category = create_category(session, "Кроссовки", slug="krossovki")
    supplier = create_supplier(session)
    found = [
        create_product(session, category, supplier, title=f"Кроссовки беговые {n}", popularity=n) for n in range(3)
    ]
    others = [create_product(session, category, supplier, title=f"Кеды {n}", popularity=10 + n) for n in range(6)]
    session.commit()

    result = search_products(session, "кроссовки", ListingFilters(sort=Sort.POPULAR), per_page=20)

    ids = [card.id for card in result.listing.products]
    assert len(ids) == len(set(ids)) == 5  # the matches, then only as many as fill the candidates
    assert set(ids) == {p.id for p in found} | {others[5].id, others[4].id}  # the two most popular others

"""Search on the real engine (SQLite FTS5 or PostgreSQL GIN): morphology, corrections, index sync, facets."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.catalog.models import Product
from storefront.catalog.queries import ListingFilters, Sort, configure_category_cache
from storefront.search.index import index_products, rebuild_search_index
from storefront.search.models import ProductSearch
from storefront.search.queries import Correction, search_products, suggest_products
from tests.support.factories import create_category, create_product, create_supplier, load_rates


def titles(result) -> list[str]:
    return [product.title for product in result.listing.products]


def search(session, query, **filters):
    return search_products(session, query, ListingFilters(**filters), per_page=24)


@pytest.fixture
def shop(session):
    load_rates(session)
    shoes = create_category(session, "Обувь")
    decor = create_category(session, "Новогодний декор")
    kitchen = create_category(session, "Кухня")
    supplier = create_supplier(session)
    products = {
        "sneakers": create_product(session, shoes, supplier, title="Кроссовки беговые сетчатые", popularity=5),
        "boots": create_product(session, shoes, supplier, title="Ботинки мужские зимние на меху", popularity=3),
        "tree": create_product(session, decor, supplier, title="Ёлка искусственная 180 см", popularity=2),
        "spruce": create_product(session, decor, supplier, title="Гирлянда на елку светодиодная", popularity=1),
        "english": create_product(session, kitchen, supplier, title="Чайник электрический Xiaomi Smart Kettle"),
        "described": create_product(
            session, kitchen, supplier, title="Набор посуды", description="Подходит для кроссовок и сумок"
        ),
        "attributed": create_product(
            session, shoes, supplier, title="Сандалии летние", attributes={"стиль": "как кроссовки"}
        ),
        "sku": create_product(session, kitchen, supplier, title="Кастрюля стальная", sku="KX-2024-17"),
    }
    session.commit()
    return products


def test_inflected_form_finds_the_plural_title(session, shop):
    assert "Кроссовки беговые сетчатые" in titles(search(session, "кроссовок"))


def test_adjective_and_noun_in_oblique_case_find_the_title(session, shop):
    assert titles(search(session, "мужских ботинок")) == ["Ботинки мужские зимние на меху"]


@pytest.mark.parametrize("query", ["елка", "ёлка", "Ёлки", "ЕЛКУ"])
def test_yo_and_ye_are_the_same_letter(session, shop, query):
    found = titles(search(session, query))
    assert "Ёлка искусственная 180 см" in found
    assert "Гирлянда на елку светодиодная" in found


def test_wrong_keyboard_layout_is_switched(session, shop):
    result = search(session, "rhjccjdrb")
    assert result.correction is Correction.LAYOUT
    assert result.searched == "кроссовки"
    assert titles(result)[0] == "Кроссовки беговые сетчатые"


def test_transliteration_is_read_as_cyrillic(session, shop):
    result = search(session, "krossovki")
    assert result.correction is Correction.TRANSLIT
    assert titles(result)[0] == "Кроссовки беговые сетчатые"


def test_one_typo_is_corrected_with_a_suggestion(session, shop):
    result = search(session, "кросовки")
    assert result.correction is Correction.TYPO
    assert result.suggestion == "кроссовки"
    assert titles(result)[0] == "Кроссовки беговые сетчатые"


def test_exact_sku_comes_first(session, shop):
    result = search(session, "kx-2024-17")
    assert result.listing.products[0].id == shop["sku"].id


def test_english_words_in_titles_match(session, shop):
    assert titles(search(session, "xiaomi kettle")) == ["Чайник электрический Xiaomi Smart Kettle"]


def test_title_match_ranks_above_attributes_above_description(session, shop):
    assert titles(search(session, "кроссовки")) == [
        "Кроссовки беговые сетчатые",
        "Сандалии летние",
        "Набор посуды",
    ]


def test_listing_sort_and_filters_apply_to_results(session, shop):
    result = search(session, "кроссовки", sort=Sort.POPULAR, in_stock=True)
    assert titles(result)[0] == "Кроссовки беговые сетчатые"
    cheap_only = search(session, "кроссовки", price_max=1)
    assert cheap_only.listing.total == 0


def test_facet_counts_equal_a_direct_count(session, shop):
    shoes, decor = shop["sneakers"].category, shop["tree"].category
    supplier = shop["sneakers"].supplier
    for n in range(4):
        create_product(session, shoes, supplier, title=f"Кроссовок детский {n}")
    create_product(session, decor, supplier, title="Кроссовки-тапочки новогодние")
    create_product(session, decor, supplier, title="Кроссовки старые", status="archived")
    session.commit()

    result = search(session, "кроссовками")
    padded = " " + ProductSearch.title_terms + " " + ProductSearch.attribute_terms + " "
    padded = padded + ProductSearch.description_terms + " "
    for category_id, count in result.facets:
        direct = session.scalar(
            select(func.count())
            .select_from(Product)
            .join(ProductSearch, ProductSearch.product_id == Product.id)
            .where(Product.category_id == category_id, Product.status == "active", padded.like("% кроссовок %"))
        )
        assert count == direct
    assert dict(result.facets) == {shoes.id: 6, decor.id: 1, shop["described"].category_id: 1}
    assert sum(count for _, count in result.facets) == result.listing.total == 8


def test_category_choice_narrows_results_but_not_facets(session, shop):
    shoes = shop["sneakers"].category_id
    result = search_products(session, "кроссовки", ListingFilters(), 24, category_ids=[shoes])
    assert titles(result) == ["Кроссовки беговые сетчатые", "Сандалии летние"]
    assert len(result.facets) == 2


@pytest.mark.parametrize(
    "query",
    ["", "   ", "я" * 10_000, "!!! ... ,,,", '" OR 1=1 --', "NEAR(", "*", '"', "'; DROP TABLE products; --", ":*&|!"],
)
def test_bad_queries_give_empty_results_not_errors(session, shop, query):
    result = search(session, query)
    assert result.listing.total == 0


def test_index_follows_create_update_and_delete(session, shop):
    category, supplier = shop["tree"].category, shop["tree"].supplier
    product = create_product(session, category, supplier, title="Самовар тульский")
    session.commit()
    assert titles(search(session, "самовара")) == ["Самовар тульский"]

    product.title = "Подстаканник мельхиоровый"
    session.commit()
    assert titles(search(session, "самовар")) == []
    assert titles(search(session, "подстаканники")) == ["Подстаканник мельхиоровый"]

    session.delete(product)
    session.commit()
    assert titles(search(session, "подстаканники")) == []
    assert session.get(ProductSearch, product.id) is None


def test_bulk_insert_is_indexed_by_index_products(session, shop):
    category, supplier = shop["tree"].category, shop["tree"].supplier
    session.execute(
        Product.__table__.insert(),
        [
            {
                "id": 9000 + n,
                "supplier_id": supplier.id,
                "category_id": category.id,
                "sku": f"B-{n}",
                "title": f"Шкатулка резная {n}",
                "slug": f"b-{n}",
                "description": "",
                "attributes": {},
                "currency": "USD",
                "source_price_from": 1,
                "price_rub_from": 100,
                "status": "active",
            }
            for n in range(3)
        ],
    )
    assert search(session, "шкатулки").listing.total == 0
    index_products(session, [9000, 9001, 9002])
    assert search(session, "шкатулки").listing.total == 3
    assert rebuild_search_index(session) == 11
    assert search(session, "шкатулки").listing.total == 3


def test_suggest_completes_the_last_word(session, shop):
    assert [p.title for p in suggest_products(session, "кросс")] == ["Кроссовки беговые сетчатые"]
    assert [p.title for p in suggest_products(session, "ботинки муж")] == ["Ботинки мужские зимние на меху"]
    assert suggest_products(session, '"*') == []


def test_demo_seed_indexes_its_bulk_inserts(session):
    from demo.catalogue import seed_demo

    load_rates(session)
    session.commit()
    seed_demo(session, 60)
    assert session.scalar(select(func.count()).select_from(ProductSearch)) == 60
    title = session.scalars(select(Product.title).order_by(Product.id)).first()
    first_word = title.split()[0]
    assert search(session, first_word).listing.total >= 1


def test_search_and_suggest_answers_are_cached_until_the_cache_is_reset(session, shop):
    configure_category_cache(60)
    try:
        assert search(session, "самовар").listing.total == 0
        assert suggest_products(session, "самов") == []
        create_product(session, shop["tree"].category, shop["tree"].supplier, title="Самовар тульский")
        session.commit()
        assert search(session, "самовар").listing.total == 0  # cached for CATEGORY_CACHE_SECONDS
        assert suggest_products(session, "самов") == []
        assert titles(search(session, "кроссовки", sort=Sort.NEW))  # other queries are still answered
    finally:
        configure_category_cache(0)
    assert titles(search(session, "самовар")) == ["Самовар тульский"]
    assert [p.title for p in suggest_products(session, "самов")] == ["Самовар тульский"]


def test_suggest_waits_for_three_letters_of_the_last_word(session, shop):
    assert suggest_products(session, "кр") == []
    assert [p.title for p in suggest_products(session, "кро")] == ["Кроссовки беговые сетчатые"]
    assert [p.title for p in suggest_products(session, "ботинки м")] == ["Ботинки мужские зимние на меху"]

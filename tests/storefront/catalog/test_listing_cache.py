"""The per-process caches of the category tree and listing counts (off in tests, on in production)."""

from storefront.catalog.queries import (
    ListingFilters,
    cached_category_tree,
    configure_category_cache,
    count_by_city,
    list_products,
)
from tests.support.factories import create_category, create_product, create_supplier, load_rates


def test_counts_and_tree_are_reused_until_the_cache_is_reset(session):
    load_rates(session)
    category, supplier = create_category(session, "Сумки"), create_supplier(session, city="Иу")
    create_product(session, category, supplier, title="Сумка")
    session.commit()
    configure_category_cache(60)
    try:
        assert list_products(session, [category.id], ListingFilters(), 24).total == 1
        assert count_by_city(session, [category.id]) == [("Иу", 1)]
        tree = cached_category_tree(session)
        create_product(session, category, supplier, title="Сумка вторая")
        create_category(session, "Ремни")
        session.commit()
        assert list_products(session, [category.id], ListingFilters(page=3), 24).total == 1  # cached
        assert count_by_city(session, [category.id]) == [("Иу", 1)]
        assert cached_category_tree(session) is tree
        assert len(list_products(session, [category.id], ListingFilters(), 24).products) == 2  # rows are live
    finally:
        configure_category_cache(0)
    assert list_products(session, [category.id], ListingFilters(), 24).total == 2
    assert len(cached_category_tree(session).by_id) == 2

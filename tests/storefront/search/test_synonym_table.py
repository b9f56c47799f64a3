"""The synonym table search uses: CRM rows over the built-in list, and how soon a change is seen."""

import pytest

from storefront.catalog.queries import ListingFilters, Sort, configure_category_cache
from storefront.search.models import SearchSynonym
from storefront.search.queries import search_products
from storefront.search.synonyms import current_synonyms, forget_synonyms
from storefront.search.understand import SynonymTable, built_in_synonyms, layered_synonyms
from tests.support.factories import create_category, create_product, create_supplier, load_rates


def test_rows_replace_switch_off_or_add_built_in_entries():
    built_in = {"худи": ("толстовка",), "айфон": ("iphone",)}
    table = layered_synonyms(
        built_in, [("Худи", ["свитшот"], False), ("айфон", [], True), ("шмотка", ["одежда"], False)]
    )
    assert table == {"худи": ("свитшот",), "шмотка": ("одежда",)}


def test_an_unknown_key_is_found_by_its_stem():
    table = SynonymTable({"шмотка": ("толстовка",)})
    assert table.alternatives("шмотки") == ("толстовка",)
    assert "толстовка" in table.expanded_terms("шмоткой")


def test_without_rows_the_built_in_list_is_in_force(session):
    table = current_synonyms(session)
    assert table.version == "built-in"
    assert all(table.table[key] == values for key, values in built_in_synonyms().items())


@pytest.fixture
def cached(app):
    configure_category_cache(60)
    yield
    configure_category_cache(app.config["CATEGORY_CACHE_SECONDS"])


def _found(session, query: str) -> int:
    return search_products(session, query, ListingFilters(sort=Sort.RELEVANCE), 24).listing.total


def test_a_change_is_seen_at_once_after_forget_and_within_the_cache_lifetime_elsewhere(session, cached):
    load_rates(session)
    supplier = create_supplier(session)
    create_product(session, create_category(session, "Одежда"), supplier, title="Толстовка с капюшоном")
    session.commit()
    assert _found(session, "шмотка") == 0
    session.add(SearchSynonym(word="шмотка", alternatives=["толстовка"]))
    session.commit()
    # Another process saved it: this one still searches with the rows it read, for up to CATEGORY_CACHE_SECONDS.
    assert _found(session, "шмотка") == 0
    forget_synonyms()  # what the CRM view does in its own process after the commit
    assert _found(session, "шмотка") == 1

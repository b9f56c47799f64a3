"""``/__search_floor``'s match is the index match every search starts from: the same products, nothing after it."""

from __future__ import annotations

from bench.floor import search_floor_match
from storefront.catalog.queries import ListingFilters, listing_conditions
from storefront.search.queries import CANDIDATES, _read_candidates, parse_query
from tests.storefront.search.test_understanding import shop  # noqa: F401 (the fixture)
from tests.support.factories import create_product, create_supplier


def test_the_floor_matches_what_a_search_reads_first(session, shop):  # noqa: F811
    # A word only the description holds: the floor matches every field, as a search does (not the titles alone).
    create_product(session, shop["toys"], create_supplier(session), title="Ранец", description="Ортопедическая спинка")
    session.commit()
    for query in ("чехол", "внешний аккумулятор", "купить повербанк оптом", "игрушка капибара", "ранец ортопедический"):
        found = search_floor_match(session, query)
        read = _read_candidates(session, parse_query(query), listing_conditions(None, ListingFilters()), CANDIDATES)
        assert found and sorted(found) == sorted(row.product_id for row in read), query


def test_the_floor_of_a_query_with_no_words_or_no_match_is_empty(session, shop):  # noqa: F811
    assert search_floor_match(session, "   ") == []
    assert search_floor_match(session, "экскаватор") == []

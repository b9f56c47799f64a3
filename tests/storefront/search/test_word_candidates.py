"""A new query made of words already searched: relaxed matches, typo corrections and one-word queries are put
together from per-word candidates (no index statement), with the same results as when read afresh."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from storefront.catalog.queries import ListingFilters, Sort, configure_category_cache
from storefront.search.queries import count_matches, parse_query, search_products
from tests.storefront.search.test_understanding import shop  # noqa: F401 (the fixture)


@pytest.fixture
def index_statements(session):
    """The index statements (FTS5 MATCH or tsquery) sent while the test runs."""
    found: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if " MATCH " in statement or "to_tsquery" in statement:
            found.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    yield found
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def caching():
    configure_category_cache(60)
    yield
    configure_category_cache(0)


def result_of(session, query: str, **filters):
    result = search_products(session, query, ListingFilters(sort=Sort.RELEVANCE, **filters), per_page=24)
    return result.relaxed, result.listing.total, [(p.id, p.title) for p in result.listing.products]


def test_a_relaxed_query_of_known_words_reads_only_its_all_words_match(session, shop, caching, index_statements):  # noqa: F811
    fresh = result_of(session, "чехол капюшон")  # relaxed: no product holds both words
    assert fresh[0]
    index_statements.clear()
    again = result_of(session, "капюшон чехол")  # a new query (another cache key) of the same words
    assert len(index_statements) == 1  # its all-words match; each word's candidates come from the first
    assert again[0] and sorted(again[2]) == sorted(fresh[2])


def test_per_word_candidates_give_what_a_fresh_read_gives(session, shop, caching):  # noqa: F811
    cached_first = [result_of(session, query) for query in ("чехол", "капюшон", "капюшон чехол", "чехол капюшон")]
    configure_category_cache(0)  # every read afresh
    assert [result_of(session, query) for query in ("чехол", "капюшон", "капюшон чехол", "чехол капюшон")] == (
        cached_first
    )


def test_per_word_counts_are_kept_per_filter(session, shop, caching):  # noqa: F811
    everything = count_matches(session, parse_query("чехол"), ListingFilters(), None)
    below_every_price = count_matches(session, parse_query("чехол"), ListingFilters(price_max=1), None)
    assert everything > 0 and below_every_price == 0


def test_a_typo_correction_counts_each_dictionary_word_only_as_far_as_it_compares(session, shop, monkeypatch):  # noqa: F811
    from storefront.search import queries

    caps: list[int] = []
    real = queries._count

    def counted(session, match, conditions, cap):  # noqa: ANN001, ANN202
        caps.append(cap)
        return real(session, match, conditions, cap)

    monkeypatch.setattr(queries, "_count", counted)
    result = search_products(session, "гантели разборныо", ListingFilters(sort=Sort.RELEVANCE), per_page=24)
    assert result.suggestion is not None and result.listing.total == 1  # «Гантели разборные 20 кг»
    assert caps and set(caps) == {queries.TYPO_COUNT_CAP}

"""Search reads: matching on either engine, ranked pages with the listing filters, facets, suggest.

A query is never passed to the engine as typed. It is cut into words, each word expanded to its
terms (``normalise.word_terms``), and the match expression is assembled from those terms only
(letters and digits), so FTS5 or tsquery syntax in a query is just text that matches nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Float, Integer, Select, func, select, text
from sqlalchemy.orm import Session, joinedload

from storefront.catalog.models import Product, ProductStatus
from storefront.catalog.queries import (
    ListingFilters,
    ListingPage,
    Sort,
    listing_conditions,
    order_listing,
    page_of_products,
)
from storefront.search.normalise import (
    fold,
    is_latin,
    one_typo_corrections,
    query_words,
    switch_layout,
    transliterate,
    word_terms,
)

#: Facets listed for a result set (largest first).
MAX_FACETS = 20
SUGGEST_LIMIT = 6


class Correction(enum.StrEnum):
    LAYOUT = "layout"
    TRANSLIT = "translit"
    TYPO = "typo"


@dataclass(frozen=True)
class Match:
    """A parsed query: for each word, the terms any of which must occur in a product."""

    words: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]
    prefix: str | None = None
    #: Match product titles only (autocomplete), not attributes or descriptions.
    title_only: bool = False

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(term for group in self.groups for term in group)


def parse_query(query: str) -> Match:
    found = query_words(query)
    return Match(tuple(found), tuple(word_terms(word) for word in found))


def _fts5_expression(match: Match) -> str:
    parts = ["(" + " OR ".join(f'"{term}"' for term in group) + ")" for group in match.groups]
    if match.prefix:
        parts.append(f'"{match.prefix}"*')
    expression = " AND ".join(parts)
    return f"title_terms : ({expression})" if match.title_only else expression


def _tsquery_expression(match: Match) -> str:
    weight = ":A" if match.title_only else ""
    parts = ["(" + " | ".join(f"'{term}'{weight}" for term in group) + ")" for group in match.groups]
    if match.prefix:
        parts.append(f"'{match.prefix}':*{weight[1:]}")
    return " & ".join(parts)


def matches_subquery(session: Session, match: Match):
    """(product_id, score) of every product matching; a higher score is a better match."""
    if session.get_bind().dialect.name == "postgresql":
        statement = text(
            "SELECT product_id, ts_rank('{0.1, 0.2, 0.4, 1.0}', document, query) AS score"
            " FROM product_search, to_tsquery('simple', :expression) AS query WHERE document @@ query"
        ).bindparams(expression=_tsquery_expression(match))
    else:
        # bm25 is lower-is-better; the weights rank title over attributes over description.
        statement = text(
            "SELECT rowid AS product_id, -bm25(product_fts, 10.0, 3.0, 1.0) AS score"
            " FROM product_fts WHERE product_fts MATCH :expression"
        ).bindparams(expression=_fts5_expression(match))
    return statement.columns(product_id=Integer, score=Float).subquery("matches")


@dataclass(frozen=True)
class SearchResult:
    query: str
    #: The words actually searched (after a layout, transliteration or typo correction).
    searched: str
    correction: Correction | None
    listing: ListingPage
    facets: list[tuple[int, int]] = field(default_factory=list)
    terms: frozenset[str] = frozenset()
    #: «Did you mean»: a corrected query offered as a link.
    suggestion: str | None = None

    @property
    def empty_query(self) -> bool:
        return not self.searched


def count_matches(session: Session, match: Match, filters: ListingFilters, category_ids: Sequence[int] | None) -> int:
    matches = matches_subquery(session, match)
    query = (
        select(func.count())
        .select_from(Product)
        .join(matches, matches.c.product_id == Product.id)
        .where(*listing_conditions(category_ids, filters))
    )
    return session.scalar(query) or 0


def _alternatives(query: str) -> list[tuple[Correction, str]]:
    """Other readings of a query that found nothing, most likely first."""
    readings: list[tuple[Correction, str]] = []
    if is_latin(query):
        readings += [(Correction.LAYOUT, switch_layout(query)), (Correction.TRANSLIT, transliterate(query))]
    return readings


def _typo_correction(session: Session, words: Sequence[str], filters: ListingFilters) -> str | None:
    """The query with each unknown word replaced by the dictionary word (one edit away) that finds most."""
    corrected, changed = [], False
    for word in words:
        best, best_count = word, 0
        for candidate in one_typo_corrections(word)[:8]:
            found = count_matches(session, Match((candidate,), (word_terms(candidate),)), filters, None)
            if found > best_count:
                best, best_count = candidate, found
        changed |= best != word
        corrected.append(best)
    return " ".join(corrected) if changed else None


def find_sku(session: Session, query: str) -> int | None:
    raw = query.strip()
    if not raw or len(raw) > 64 or not raw.isprintable():
        return None
    return session.scalar(
        select(Product.id).where(Product.sku.in_({raw, raw.upper()}), Product.status == ProductStatus.ACTIVE)
    )


def search_products(
    session: Session,
    query: str,
    filters: ListingFilters,
    per_page: int,
    category_ids: Sequence[int] | None = None,
) -> SearchResult:
    """One page of products matching ``query`` with the listing filters, plus category facets."""
    query = " ".join(query.split())
    match = parse_query(query)
    if not match.groups:
        return SearchResult(query, "", None, ListingPage([], 0, 1, per_page))
    searched, correction, suggestion = query, None, None
    total = count_matches(session, match, filters, category_ids)
    if total == 0:
        for kind, reading in _alternatives(query):
            candidate = parse_query(reading)
            if candidate.groups and (found := count_matches(session, candidate, filters, category_ids)):
                match, searched, correction, total = candidate, reading, kind, found
                break
    if total == 0 and (fixed := _typo_correction(session, match.words, filters)):
        candidate = parse_query(fixed)
        found = count_matches(session, candidate, filters, category_ids)
        if found:
            match, searched, correction, total, suggestion = candidate, fixed, Correction.TYPO, found, fixed

    matches = matches_subquery(session, match)
    conditions = listing_conditions(category_ids, filters)
    id_query = select(Product.id).join(matches, matches.c.product_id == Product.id).where(*conditions)
    if filters.sort is Sort.RELEVANCE:
        id_query = id_query.order_by(matches.c.score.desc(), Product.popularity.desc(), Product.id.desc())
    else:
        id_query = order_listing(id_query, filters.sort)
    listing = page_of_products(session, id_query, total, filters.page, per_page)
    listing = _exact_sku_first(session, query, listing)
    facets = category_facets(session, match, filters)
    return SearchResult(query, searched, correction, listing, facets, match.terms, suggestion)


def _exact_sku_first(session: Session, query: str, listing: ListingPage) -> ListingPage:
    product_id = find_sku(session, query)
    if product_id is None or listing.page != 1:
        return listing
    others = [product for product in listing.products if product.id != product_id]
    product = session.scalars(select(Product).options(joinedload(Product.supplier)).where(Product.id == product_id))
    first = product.one()
    total = listing.total if len(others) < len(listing.products) else listing.total + 1
    return ListingPage([first, *others][: listing.per_page], total, listing.page, listing.per_page)


def category_facets(session: Session, match: Match, filters: ListingFilters) -> list[tuple[int, int]]:
    """(category id, matching products) over the whole result set, ignoring any category choice."""
    matches = matches_subquery(session, match)
    count = func.count().label("n")
    rows = session.execute(
        select(Product.category_id, count)
        .join(matches, matches.c.product_id == Product.id)
        .where(*listing_conditions(None, filters))
        .group_by(Product.category_id)
        .order_by(count.desc(), Product.category_id)
        .limit(MAX_FACETS)
    ).all()
    return [(category_id, n) for category_id, n in rows]


def suggest_products(session: Session, query: str, limit: int = SUGGEST_LIMIT) -> list[Product]:
    """Autocomplete: every finished word must match, the last one as a prefix of a title word."""
    found = query_words(query)
    if not found:
        return []
    complete, last = found[:-1], found[-1]
    match = Match(tuple(complete), tuple(word_terms(word) for word in complete), prefix=last, title_only=True)
    matches = matches_subquery(session, match)
    candidates: Select = select(matches.c.product_id).limit(200).subquery()
    return list(
        session.scalars(
            select(Product)
            .where(
                Product.id.in_(select(candidates.c.product_id)),
                Product.status == ProductStatus.ACTIVE,
                Product.price_rub_from.is_not(None),
            )
            .order_by(Product.popularity.desc(), Product.id.desc())
            .limit(limit)
        )
    )


def folded_prefix_match(name: str, query: str) -> bool:
    """Whether every query word starts some word of ``name`` (for category suggestions)."""
    name_words, parts = fold(name).split(), query_words(query)
    return bool(parts) and all(any(word.startswith(part) for word in name_words) for part in parts)

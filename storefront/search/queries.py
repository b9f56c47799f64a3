"""Search reads: matching on either engine, ranked pages with the listing filters, facets, suggest.

A query is never passed to the engine as typed. It is cut into words, each word expanded to its
terms (``normalise.word_terms``), and the match expression is assembled from those terms only
(letters and digits), so FTS5 or tsquery syntax in a query is just text that matches nothing.
"""

from __future__ import annotations

import enum
import math
import sys
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from storefront.catalog.models import Category, Product, ProductStatus
from storefront.catalog.queries import (
    LISTABLE_CONDITION,
    ListingFilters,
    ListingPage,
    Sort,
    cached_category_tree,
    listing_conditions,
    load_in_order,
)
from storefront.memo import TimedCache
from storefront.search.models import FTS_TABLE, ProductSearch
from storefront.search.normalise import (
    MAX_QUERY_WORDS,
    fold,
    is_latin,
    one_typo_corrections,
    query_terms,
    switch_layout,
    transliterate,
    word_terms,
    words,
)
from storefront.search.synonyms import current_synonyms
from storefront.search.understand import PHRASE_AND, TERM_OR, SynonymTable, element_terms, expanded_terms, query_words

#: Facets listed for a result set (largest first).
MAX_FACETS = 20
SUGGEST_LIMIT = 6
#: Matches a search ranks, counts and facets at most (see ``candidates``); autocomplete looks at fewer. Every
#: candidate of a new query costs index, heap and Python work: 250 instead of 500 halved a new query's cost on
#: 1,000,000 products, with the same labelled-set quality there on both engines (``bench/search_quality.py``).
CANDIDATES = 250
SUGGEST_CANDIDATES = 200
#: Shortest last word autocomplete completes; a shorter one is ignored until the buyer types more.
MIN_SUGGEST_PREFIX = 3


class Correction(enum.StrEnum):
    LAYOUT = "layout"
    TRANSLIT = "translit"
    TYPO = "typo"


@dataclass(frozen=True)
class Match:
    """A parsed query: for each word, the terms any of which must occur in a product.

    A group element is a term, or a phrase from the synonym list (``understand.expanded_terms``):
    words separated by ``PHRASE_AND``, all of which must occur, each any of its ``TERM_OR`` terms.
    """

    words: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]
    prefix: str | None = None
    #: Match product titles only (autocomplete), not attributes or descriptions.
    title_only: bool = False

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(term for group in self.groups for element in group for term in element_terms(element))


def parse_query(query: str, synonyms: SynonymTable | None = None) -> Match:
    """The query's meaningful words and their term groups (synonyms: the built-in list unless given)."""
    found = query_words(query)
    return Match(tuple(found), tuple(expanded_terms(word, synonyms) for word in found))


#: SQLite relevance tiers: which FTS5 columns all query words must occur in, and the score that gives.
_FTS5_TIERS = (("title_terms", 3), ("{title_terms attribute_terms}", 2), (None, 1))


def _fts5_element(element: str) -> str:
    if PHRASE_AND not in element and TERM_OR not in element:
        return f'"{element}"'
    parts = ["(" + " OR ".join(f'"{term}"' for term in part.split(TERM_OR)) + ")" for part in element.split(PHRASE_AND)]
    return "(" + " AND ".join(parts) + ")"


def _tsquery_element(element: str, weight: str) -> str:
    if PHRASE_AND not in element and TERM_OR not in element:
        return f"'{element}'{weight}"
    alternatives = (part.split(TERM_OR) for part in element.split(PHRASE_AND))
    parts = ["(" + " | ".join(f"'{term}'{weight}" for term in terms) + ")" for terms in alternatives]
    return "(" + " & ".join(parts) + ")"


def _fts5_expression(match: Match, columns: str | None = None) -> str:
    parts = ["(" + " OR ".join(_fts5_element(element) for element in group) + ")" for group in match.groups]
    if match.prefix:
        parts.append(f'"{match.prefix}"*')
    expression = " AND ".join(parts)
    return f"{columns} : ({expression})" if columns else expression


def _tsquery_expression(match: Match) -> str:
    weight = ":A" if match.title_only else ""
    parts = ["(" + " | ".join(_tsquery_element(element, weight) for element in group) + ")" for group in match.groups]
    if match.prefix:
        parts.append(f"'{match.prefix}':*{weight[1:]}")
    return " & ".join(parts)


#: Index relevance weights of D, C, B, A: description < attributes < title.
_WEIGHTS = "'{0.1, 0.2, 0.4, 1.0}'::float4[]"


def _fts5_tiers(title_only: bool) -> tuple[tuple[str | None, int], ...]:
    return tuple((columns, score) for columns, score in _FTS5_TIERS if not title_only or columns == "title_terms")


@lru_cache(maxsize=8)
def _index_statement(postgres: bool, title_only: bool) -> Select:
    """The index match of every query of one shape, the expressions and the cap bound when run
    (``_index_parameters``): built once, as building a statement costs more than the engine takes to run it.

    PostgreSQL: the first ``cap`` GIN matches, ranked by ts_rank with title > attributes > description.

    SQLite: the first ``cap`` FTS5 matches of each relevance tier, each product scored by its best tier. Each tier
    is a plain MATCH that FTS5 streams and stops at the LIMIT; bm25() would instead count every document holding
    each term (tens of thousands for a common word) on every query. Within a tier pages order by popularity.
    """
    cap = bindparam("cap", type_=Integer)
    if postgres:
        query = func.to_tsquery("simple", bindparam("expression", type_=String))
        score = func.ts_rank(literal_column(_WEIGHTS), ProductSearch.document, query)
        found = ProductSearch.document.op("@@")(query)
        return select(ProductSearch.product_id, score.label("score")).where(found).limit(cap)
    fts = table(FTS_TABLE, column("rowid"))
    runs = [
        select(fts.c.rowid.label("product_id"), literal(score).label("score"))
        .select_from(fts)
        .where(literal_column(FTS_TABLE).op("MATCH")(bindparam(f"expression_{index}", type_=String)))
        .limit(cap)
        .subquery()
        for index, (_columns, score) in enumerate(_fts5_tiers(title_only))
    ]
    if len(runs) == 1:
        return select(runs[0].c.product_id, runs[0].c.score)
    merged = union_all(*(select(run.c.product_id, run.c.score) for run in runs)).subquery()
    best = func.max(merged.c.score)
    ranked = select(merged.c.product_id, best.label("score")).group_by(merged.c.product_id)
    return ranked.order_by(best.desc()).limit(cap)


def _index_parameters(match: Match, cap: int, postgres: bool) -> dict[str, Any]:
    if postgres:
        return {"expression": _tsquery_expression(match), "cap": cap}
    tiers = _fts5_tiers(match.title_only)
    return {"cap": cap, **{f"expression_{i}": _fts5_expression(match, columns) for i, (columns, _) in enumerate(tiers)}}


#: What pages sort matches on and the search page's facets count them by (``catalog.facets.matched_cube``), in
#: the order of ``Candidate``.
_FACT_COLUMNS = (
    Product.category_id,
    Product.popularity,
    type_coerce(Product.price_rub_from, Integer).label("price_rub_from"),
    type_coerce(Product.published_at, String).label("published_at"),
    Product.supplier_id,
    Product.moq,
    Product.stock,
    cast(Product.attributes, Text).label("attributes_text"),
)


def candidates(session: Session, match: Match, conditions: Sequence[Any]) -> Select:
    """Products among the first matches that pass ``conditions``, with what pages sort on; run it with
    ``_index_parameters`` (the query's expressions and the cap).

    Bounded on purpose: a broad word («кроссовки») matches tens of thousands of products on a
    million-product catalogue, and ranking or counting all of them costs more than a page may.
    The cap sits on the bare index match (so PostgreSQL reads the GIN bitmap and stops early);
    ranking, filters, counts and facets work on that set. Past the cap the page says "more than".
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if len(conditions) == 1 and conditions[0] is LISTABLE_CONDITION:
        return _listable_candidates(postgres, match.title_only)
    return _candidates(postgres, match.title_only, conditions)


def _candidates(postgres: bool, title_only: bool, conditions: Sequence[Any]) -> Select:
    matched = _index_statement(postgres, title_only).subquery("matched")
    return (
        select(Product.id.label("product_id"), matched.c.score, *_FACT_COLUMNS)
        .join(matched, matched.c.product_id == Product.id)
        .where(*conditions)
    )


@lru_cache(maxsize=4)
def _listable_candidates(postgres: bool, title_only: bool) -> Select:
    """``candidates`` without filters, the usual search: built once (building costs more than running it)."""
    return _candidates(postgres, title_only, [LISTABLE_CONDITION])


class Candidate(NamedTuple):
    """A matched product with what pages sort on and facets count (``catalog.facets.FacetRow``)."""

    product_id: int
    score: float
    category_id: int
    popularity: int
    #: Raw stored values (kopecks, the engine's timestamp): only compared when sorting, and
    #: converting hundreds of rows to Decimal and aware datetimes per search costs milliseconds.
    price_rub_from: int
    published_at: Any
    supplier_id: int
    moq: int
    stock: int | None
    attributes_text: str | None


def _candidate(row: Sequence[Any]) -> Candidate:
    # Products share a few thousand attribute sets: one string per set, not one per cached row.
    text = row[-1]
    return Candidate._make((*row[:-1], sys.intern(text) if text is not None else None))


#: Candidates of one query word (its term group) by filters: a stream of new queries keeps repeating words, so
#: relaxed matches, typo corrections and one-word queries are put together from these; up to
#: CATEGORY_CACHE_SECONDS stale. At most CANDIDATES rows an entry.
_word_cache = TimedCache(max_entries=1_000)


def _candidate_rows(
    session: Session,
    match: Match,
    filters: ListingFilters,
    relaxed: bool = False,
    category_ids: Sequence[int] | None = None,
) -> list[Candidate]:
    """The first matches (``candidates``) that pass the filters; ``relaxed``: those of any query word."""
    conditions = listing_conditions(category_ids, filters)
    scope = _scope(filters, category_ids)
    if relaxed:
        return _relaxed_rows(session, match, conditions, scope)
    return list(_match_rows(session, match, conditions, scope))


def _scope(filters: ListingFilters, category_ids: Sequence[int] | None) -> Hashable:
    """What a word's candidates depend on besides the word: the filters (not the page or order) and categories."""
    return replace(filters, page=1, sort=Sort.RELEVANCE), None if category_ids is None else tuple(category_ids)


def _one_word(match: Match) -> bool:
    """A match of one whole query word, whose candidates and counts are cached per word (``_word_cache``)."""
    return len(match.groups) == 1 and not match.prefix and not match.title_only


def _match_rows(
    session: Session, match: Match, conditions: Sequence[Any], scope: Hashable, cap: int | None = None
) -> tuple[Candidate, ...]:
    cap = cap or CANDIDATES
    if _one_word(match):
        return _word_cache.get((match.groups[0], scope, cap), lambda: _read_candidates(session, match, conditions, cap))
    return _read_candidates(session, match, conditions, cap)


def _read_candidates(session: Session, match: Match, conditions: Sequence[Any], cap: int) -> tuple[Candidate, ...]:
    postgres = session.get_bind().dialect.name == "postgresql"
    rows = session.connection().execute(candidates(session, match, conditions), _index_parameters(match, cap, postgres))
    return tuple(_candidate(row) for row in rows)


def _relaxed_rows(session: Session, match: Match, conditions: Sequence[Any], scope: Hashable) -> list[Candidate]:
    """Products matching at least one query word, scored first by how many words they hold.

    Each word is matched on its own (its first ``CANDIDATES / words`` matches, as ``candidates`` does, cached per
    word and share): a relaxed query reads no more rows than any other, as reading, grouping and folding each
    candidate is what a new query costs. The score is ``1000 × words matched + 100 × (how early the first matched
    word stands) + relevance``, so products holding more words come first and, among equals, those holding the head
    word («чехол» in «чехол для телефона»).
    """
    found: dict[int, list[Any]] = {}  # product id → [words matched, first word, relevance, row]
    share = max(1, CANDIDATES // len(match.groups))
    for index, (word, group) in enumerate(zip(match.words, match.groups, strict=True)):
        for row in _match_rows(session, Match((word,), (group,)), conditions, scope, share):
            if (entry := found.get(row.product_id)) is None:
                found[row.product_id] = [1, index, row.score, row]
            else:
                entry[0] += 1
                entry[2] += row.score
    return [
        row._replace(score=count * 1000 + (MAX_QUERY_WORDS - first) * 100 + relevance)
        for count, first, relevance, row in found.values()
    ]


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
    #: More products match than ``CANDIDATES``: the page shows the best of the first ones.
    capped: bool = False
    #: No product holds every word: the page shows those holding the most («not all words were found»).
    relaxed: bool = False
    #: Categories whose name the query names (every query word found in the name): linked above the results.
    categories: tuple[int, ...] = ()

    @property
    def empty_query(self) -> bool:
        return not self.searched


#: Counts of one query word's candidates by filters (typo corrections try up to eight dictionary words a word).
_word_count_cache = TimedCache(max_entries=20_000)


#: How far a typo correction counts each dictionary word's matches: enough to tell a word that finds a few products
#: from one that finds many (equals go to the likelier edit), and each count reads no more rows than that.
TYPO_COUNT_CAP = 50


def count_matches(
    session: Session,
    match: Match,
    filters: ListingFilters,
    category_ids: Sequence[int] | None,
    cap: int | None = None,
) -> int:
    """Matching products that pass the filters, counted up to ``cap`` (``CANDIDATES`` unless given)."""
    cap = cap or CANDIDATES
    conditions = listing_conditions(category_ids, filters)
    if _one_word(match):
        scope = _scope(filters, category_ids)
        return _word_count_cache.get((match.groups[0], scope, cap), lambda: _count(session, match, conditions, cap))
    return _count(session, match, conditions, cap)


def _count(session: Session, match: Match, conditions: Sequence[Any], cap: int) -> int:
    postgres = session.get_bind().dialect.name == "postgresql"
    found = candidates(session, match, conditions).subquery()
    return session.scalar(select(func.count()).select_from(found), _index_parameters(match, cap, postgres)) or 0


def _alternatives(query: str) -> list[tuple[Correction, str]]:
    """Other readings of a query that found nothing, most likely first."""
    readings: list[tuple[Correction, str]] = []
    if is_latin(query):
        readings += [(Correction.LAYOUT, switch_layout(query)), (Correction.TRANSLIT, transliterate(query))]
    return readings


def _typo_correction(
    session: Session, words: Sequence[str], filters: ListingFilters, synonyms: SynonymTable
) -> str | None:
    """The query with each unknown word replaced by the dictionary word (one edit away) that finds most (counted up to
    ``TYPO_COUNT_CAP``; equals go to the likelier edit)."""
    corrected, changed = [], False
    for word in words:
        best, best_count = word, 0
        for candidate in one_typo_corrections(word)[:8]:
            alternative = Match((candidate,), (synonyms.expanded_terms(candidate),))
            found = count_matches(session, alternative, filters, None, TYPO_COUNT_CAP)
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


@dataclass(frozen=True)
class _Matched:
    """What a query matched: the reading searched (after any correction) and its candidate rows."""

    match: Match
    searched: str
    correction: Correction | None
    suggestion: str | None
    rows: tuple
    relaxed: bool = False
    #: Categories named by every query word, and all categories (with descendants) ranked first.
    named: tuple[int, ...] = ()
    preferred: frozenset[int] = frozenset()


#: Matched candidates by (query, filters): buyers repeat the same few hundred queries and page or
#: re-sort them; up to CATEGORY_CACHE_SECONDS stale, like the listing counts. At most CANDIDATES rows per entry.
_matched_cache = TimedCache(max_entries=500)


def _match_query(
    session: Session, query: str, match: Match, filters: ListingFilters, synonyms: SynonymTable
) -> _Matched:
    searched, correction, suggestion = query, None, None
    rows = _candidate_rows(session, match, filters)
    if not rows:
        for kind, reading in _alternatives(query):
            alternative = parse_query(reading, synonyms)
            if alternative.groups and (rows := _candidate_rows(session, alternative, filters)):
                match, searched, correction = alternative, reading, kind
                break
    corrected = None
    if not rows and (fixed := _typo_correction(session, match.words, filters, synonyms)):
        corrected = parse_query(fixed, synonyms)
        if rows := _candidate_rows(session, corrected, filters):
            match, searched, correction, suggestion = corrected, fixed, Correction.TYPO, fixed
    relaxed = False
    if not rows and len(match.groups) > 1:
        loose = corrected or match
        if rows := _candidate_rows(session, loose, filters, relaxed=True):
            relaxed = True
            if corrected is not None:
                match, correction = corrected, Correction.TYPO
                searched = suggestion = " ".join(corrected.words)
    tree = cached_category_tree(session)
    named, preferred_roots = named_categories(tree.by_id.values(), match)
    preferred = frozenset(cid for root in preferred_roots for cid in tree.descendant_ids(root))
    if named and len(rows) < CANDIDATES:
        # The query names a category: its products belong to the results even when their own text
        # lacks the words («обувь» names «Обувь», whose titles say «кроссовки»), as good as all-word matches.
        # (When the matches already fill the candidates, they would be cut off anyway: not read.)
        whole = 1000 * len(match.groups) if relaxed else 0
        named_ids = {cid for category_id in named for cid in tree.descendant_ids(category_id)}
        found_ids = {row.product_id for row in rows}
        extra = _category_rows(session, named_ids, filters, whole, skip=found_ids, limit=CANDIDATES - len(rows))
        rows = [*rows, *extra]
    elif not rows and preferred:
        rows = _category_rows(session, preferred, filters)
    return _Matched(match, searched, correction, suggestion, tuple(rows), relaxed, named, preferred)


@lru_cache(maxsize=4096)
def _name_terms(name: str) -> frozenset[str]:
    return frozenset(term for word in words(name) for term in word_terms(word))


def _covers(element: str, terms: frozenset[str]) -> bool:
    return all(any(term in terms for term in part.split(TERM_OR)) for part in element.split(PHRASE_AND))


def named_categories(categories: Iterable[Category], match: Match) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Categories the query names: (those whose name holds every query word, those ranked first).

    A query word is found in a category name when any of its terms or synonyms is (normalised like
    everything else: «тренажеры» names «Фитнес и тренажёры»). The categories ranked first are those
    whose name holds the most query words, the earliest word breaking ties («зарядку для телефона»
    prefers «Зарядные устройства и кабели» to «Чехлы для телефонов»).
    """
    if not match.groups:
        return (), ()
    best: tuple[int, int] = (0, 0)
    preferred: list[int] = []
    named: list[int] = []
    for category in categories:
        terms = _name_terms(category.name)
        covered = [index for index, group in enumerate(match.groups) if any(_covers(e, terms) for e in group)]
        if not covered:
            continue
        if len(covered) == len(match.groups):
            named.append(category.id)
        rank = (len(covered), -covered[0])
        if rank > best:
            best, preferred = rank, [category.id]
        elif rank == best:
            preferred.append(category.id)
    return tuple(named), tuple(preferred)


def _category_rows(
    session: Session,
    category_ids: Iterable[int],
    filters: ListingFilters,
    score: int = 0,
    skip: Collection[int] = (),
    limit: int = CANDIDATES,
) -> list[Candidate]:
    """The ``limit`` most popular products of categories the query names (scored ``score``, like matches), but
    those in ``skip`` (already found)."""
    found = (
        select(Product.id, literal(score), *_FACT_COLUMNS)
        .where(*listing_conditions(sorted(category_ids), filters))
        .where(*([Product.id.not_in(sorted(skip))] if skip else []))
        .order_by(Product.popularity.desc(), Product.id.desc())
        .limit(limit)
    )
    return [Candidate._make(row) for row in session.execute(found)]


def search_products(
    session: Session,
    query: str,
    filters: ListingFilters,
    per_page: int,
    category_ids: Sequence[int] | None = None,
) -> SearchResult:
    """One page of products matching ``query`` with the listing filters, plus category facets.

    One query fetches the (at most ``CANDIDATES``) matching rows with what sorting needs; the
    category choice, facets, total, order and page are then worked out from those rows.
    """
    query = " ".join(query.split())
    synonyms = current_synonyms(session)
    match = parse_query(query, synonyms)
    if not match.groups:
        return SearchResult(query, "", None, ListingPage([], 0, 1, per_page))
    key = (query, replace(filters, page=1, sort=Sort.RELEVANCE), synonyms.version)
    found: _Matched = _matched_cache.get(key, lambda: _match_query(session, query, match, filters, synonyms))
    rows = list(found.rows)

    facets = Counter(row.category_id for row in rows)
    if category_ids is not None:
        chosen = set(category_ids)
        rows = [row for row in rows if row.category_id in chosen]
    if filters.sort is Sort.RELEVANCE and found.preferred:
        preferred = found.preferred
        rows.sort(key=lambda row: (row.score // 1000, row.category_id in preferred, *SORT_KEYS[Sort.RELEVANCE](row)))
        rows.reverse()
    else:
        rows.sort(key=SORT_KEYS[filters.sort], reverse=filters.sort is not Sort.PRICE_ASC)
    pages = max(1, math.ceil(len(rows) / per_page))
    page = min(max(1, filters.page), pages)
    ids = [row.product_id for row in rows[(page - 1) * per_page : page * per_page]]
    listing = ListingPage(load_in_order(session, ids), len(rows), page, per_page)
    listing = _exact_sku_first(session, query, listing)
    ordered_facets = sorted(facets.items(), key=lambda item: (-item[1], item[0]))[:MAX_FACETS]
    return SearchResult(
        query,
        found.searched,
        found.correction,
        listing,
        ordered_facets,
        found.match.terms,
        found.suggestion,
        len(rows) >= CANDIDATES,
        found.relaxed,
        found.named,
    )


def matched_products(
    session: Session, query: str, filters: ListingFilters, category_ids: Sequence[int] | None = None
) -> tuple[Hashable, list[Any]]:
    """The rows of the products ``query`` finds at the filters' price range (in the categories), with a key naming
    that set.

    What the search page's facets count (``catalog.facets.matched_facets``): every other filter applies to them
    there. Shares ``search_products``' cache: a search without other filters reads its matches once.
    """
    query = " ".join(query.split())
    synonyms = current_synonyms(session)
    match = parse_query(query, synonyms)
    priced = ListingFilters(sort=Sort.RELEVANCE, price_min=filters.price_min, price_max=filters.price_max)
    key = (query, priced, synonyms.version)
    if not match.groups:
        return key, []
    found: _Matched = _matched_cache.get(key, lambda: _match_query(session, query, match, priced, synonyms))
    chosen = set(category_ids) if category_ids is not None else None
    rows = [row for row in found.rows if chosen is None or row.category_id in chosen]
    return (key, None if category_ids is None else tuple(category_ids)), rows


#: Sort keys over candidate rows; every order but "cheapest first" is applied reversed.
SORT_KEYS = {
    Sort.RELEVANCE: lambda row: (row.score, row.popularity, row.product_id),
    Sort.POPULAR: lambda row: (row.popularity, row.product_id),
    Sort.PRICE_ASC: lambda row: (row.price_rub_from, row.product_id),
    Sort.PRICE_DESC: lambda row: (row.price_rub_from, row.product_id),
    Sort.NEW: lambda row: (row.published_at, row.product_id),
}


def _exact_sku_first(session: Session, query: str, listing: ListingPage) -> ListingPage:
    product_id = find_sku(session, query)
    if product_id is None or listing.page != 1:
        return listing
    others = [product for product in listing.products if product.id != product_id]
    first = load_in_order(session, [product_id])[0]
    total = listing.total if len(others) < len(listing.products) else listing.total + 1
    return ListingPage([first, *others][: listing.per_page], total, listing.page, listing.per_page)


class SuggestedProduct(NamedTuple):
    """What an autocomplete entry shows and links to."""

    id: int
    title: str
    slug: str


#: Autocomplete answers by query words: the header box asks on every keystroke, buyers type the
#: same beginnings; up to CATEGORY_CACHE_SECONDS stale, like the listing counts.
_suggest_cache = TimedCache(max_entries=5_000)


def suggest_products(session: Session, query: str, limit: int = SUGGEST_LIMIT) -> list[SuggestedProduct]:
    """Autocomplete: every finished word must match, the last one as a prefix of a title word."""
    found = query_words(query)
    if not found:
        return []
    return _suggest_cache.get((tuple(found), limit), lambda: _suggest(session, found, limit))


def _suggest(session: Session, found: list[str], limit: int) -> list[SuggestedProduct]:
    last: str | None
    complete, last = found[:-1], found[-1]
    if len(last) < MIN_SUGGEST_PREFIX:  # «к» or «кр» would make the engine merge the lists of thousands of words
        if not complete:
            return []
        last = None
    match = Match(tuple(complete), tuple(query_terms(word) for word in complete), prefix=last, title_only=True)
    pool = candidates(session, match, listing_conditions(None, ListingFilters())).subquery("pool")
    best = select(pool.c.product_id).order_by(pool.c.popularity.desc(), pool.c.product_id.desc()).limit(limit)
    postgres = session.get_bind().dialect.name == "postgresql"
    ids = list(session.scalars(best, _index_parameters(match, SUGGEST_CANDIDATES, postgres)))
    rows = session.execute(select(Product.id, Product.title, Product.slug).where(Product.id.in_(ids)))
    products = {row.id: SuggestedProduct(*row) for row in rows}
    return [products[product_id] for product_id in ids if product_id in products]


@lru_cache(maxsize=4096)
def _folded_words(name: str) -> tuple[str, ...]:
    return tuple(fold(name).split())


def matching_categories(categories: Iterable[Category], query: str, limit: int) -> list[Category]:
    """Categories whose name has, for every query word, a word starting with it (for autocomplete)."""
    parts = query_words(query)
    if not parts:
        return []
    found = []
    for category in categories:
        name_words = _folded_words(category.name)
        if all(any(word.startswith(part) for word in name_words) for part in parts):
            found.append(category)
            if len(found) == limit:
                break
    return found

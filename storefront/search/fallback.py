"""What a search page offers when nothing was found: a spelling suggestion, categories, best sellers.

- The suggestion is built from the catalogue's own vocabulary: the words of the most popular
  products' titles and of the category names, through the same ``normalise.words`` as the index.
  An unknown query word (not a dictionary word, not in the vocabulary) is replaced by the
  vocabulary word at the smallest edit distance (at most 2; 1 for short words), the commoner one
  first; a suggestion is offered only when it finds something.
- Categories: those whose name has a word starting with a word of the query (or of the suggestion),
  those matching every word first; when none does, the top-level categories, so the page always
  leads somewhere.
- Best sellers: the products most bought in paid orders (not canceled or refunded) over the last
  days, topped up with the most popular ones.

The vocabulary and the best sellers live in per-process ``TimedCache`` entries (``CATEGORY_CACHE_SECONDS``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.catalog.models import Category, Product, ProductStatus
from storefront.catalog.queries import (
    LISTABLE_CONDITION,
    ListingFilters,
    ProductCard,
    cached_category_tree,
    load_in_order,
)
from storefront.memo import TimedCache
from storefront.order.models import MONEY_IN, Order, OrderLine, OrderStatus
from storefront.search.normalise import is_known_word, is_latin, switch_layout, transliterate, words
from storefront.search.queries import count_matches, matching_categories, parse_query
from storefront.search.understand import SynonymTable, query_words

#: Titles the vocabulary is read from (the most popular products): enough for every word buyers
#: meet on the site, bounded so building it stays well under a second on a million products.
VOCABULARY_PRODUCTS = 20_000
MAX_CATEGORIES = 6
BEST_SELLERS = 8


@dataclass(frozen=True)
class Vocabulary:
    """Catalogue words with their frequency, and a one-deletion index over them (SymSpell-style)."""

    counts: Counter[str]
    deletions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        counts: Counter[str] = Counter()
        for text in texts:
            # Model numbers («x89», «dvr92») are not words to suggest, and would double the index.
            counts.update(word for word in words(text) if len(word) > 2 and not any(char.isdigit() for char in word))
        index: dict[str, list[str]] = {}
        for word in counts:
            for variant in {word, *_deletions(word)}:
                index.setdefault(variant, []).append(word)
        return cls(counts, {key: tuple(values) for key, values in index.items()})

    def closest(self, word: str) -> str | None:
        """The vocabulary word nearest to ``word`` (edit distance ≤ 2, ≤ 1 under 5 letters), commonest first."""
        limit = 1 if len(word) < 5 else 2
        found: set[str] = set()
        for variant in {word, *_deletions(word)}:
            found.update(self.deletions.get(variant, ()))
        scored = [
            (distance, -self.counts[candidate], candidate)
            for candidate in found
            if candidate != word and (distance := edit_distance(word, candidate)) <= limit
        ]
        return min(scored)[2] if scored else None


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein distance (optimal string alignment: a swap of neighbours costs one)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


_vocabulary_cache = TimedCache(max_entries=1)


def _load_vocabulary(session: Session) -> Vocabulary:
    titles = session.scalars(
        select(Product.title)
        .where(LISTABLE_CONDITION)
        .order_by(Product.popularity.desc(), Product.id.desc())
        .limit(VOCABULARY_PRODUCTS)
    )
    names = session.scalars(select(Category.name))
    return Vocabulary.of([*titles, *names])


def catalogue_vocabulary(session: Session) -> Vocabulary:
    return _vocabulary_cache.get("vocabulary", lambda: _load_vocabulary(session))


def spelling_suggestion(session: Session, query: str, synonyms: SynonymTable) -> str | None:
    """The query with its unknown words replaced by the nearest catalogue words, if that finds anything."""
    vocabulary = catalogue_vocabulary(session)
    corrected, changed = [], False
    for word in query_words(query):
        best = word
        if word not in vocabulary.counts and not is_known_word(word) and not word.isdigit():
            readings = [word]
            if is_latin(word):
                readings += [switch_layout(word), transliterate(word)]
            for reading in readings:
                if reading in vocabulary.counts:
                    best = reading
                    break
                if nearest := vocabulary.closest(reading):
                    best = nearest
                    break
        changed |= best != word
        corrected.append(best)
    if not changed:
        return None
    suggestion = " ".join(corrected)
    if not count_matches(session, parse_query(suggestion, synonyms), ListingFilters(), None):
        return None
    return suggestion


def helpful_categories(session: Session, queries: Sequence[str]) -> list[Category]:
    """Categories with a name word starting with a word of ``queries`` (all of a query's words first, then
    any one); the top-level ones when none is named."""
    tree = cached_category_tree(session)
    found: dict[int, Category] = {}
    readings = [*queries, *(word for query in queries for word in query_words(query))]
    for reading in readings:
        for category in matching_categories(tree.by_id.values(), reading, MAX_CATEGORIES):
            found.setdefault(category.id, category)
    return list(found.values())[:MAX_CATEGORIES] or tree.roots[:MAX_CATEGORIES]


_best_seller_cache = TimedCache(max_entries=8)


def _best_seller_ids(session: Session, days: int, limit: int, now: datetime) -> list[int]:
    sold = func.sum(OrderLine.quantity)
    rows = session.execute(
        select(OrderLine.product_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(
            Order.paid_at >= now - timedelta(days=days),
            Order.payment_status.in_(MONEY_IN),  # sold: paid and not refunded in full, not canceled
            Order.status != OrderStatus.CANCELED,
            Product.status == ProductStatus.ACTIVE,
            Product.price_rub_from.is_not(None),
        )
        .group_by(OrderLine.product_id)
        .order_by(sold.desc(), OrderLine.product_id)
        .limit(limit)
    )
    ids = [product_id for (product_id,) in rows if product_id is not None]
    if len(ids) < limit:
        popular = session.scalars(
            select(Product.id)
            .where(LISTABLE_CONDITION)
            .order_by(Product.popularity.desc(), Product.id.desc())
            .limit(limit)
        )
        ids += [product_id for product_id in popular if product_id not in ids][: limit - len(ids)]
    return ids


def best_sellers(session: Session, days: int, now: datetime, limit: int = BEST_SELLERS) -> list[ProductCard]:
    """The products most bought over the last ``days`` (paid orders), topped up with the most popular."""
    ids = _best_seller_cache.get((days, limit), lambda: _best_seller_ids(session, days, limit, now))
    return load_in_order(session, ids)


@dataclass(frozen=True)
class ZeroResultHelp:
    suggestion: str | None
    categories: list[Category]
    products: list[ProductCard]


def zero_result_help(session: Session, query: str, synonyms: SynonymTable, days: int, now: datetime) -> ZeroResultHelp:
    """Everything the empty result page offers instead of results."""
    suggestion = spelling_suggestion(session, query, synonyms)
    categories = helpful_categories(session, [query, *([suggestion] if suggestion else [])])
    return ZeroResultHelp(suggestion, categories, best_sellers(session, days, now))

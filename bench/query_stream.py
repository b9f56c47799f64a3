"""A stream of new search queries for ``search_uncached``: what a long tail of buyers types, never repeated.

Made from the catalogue's own words (a sample of product titles and the category names), the way the labelled
set of ``bench/search_quality.py`` is written: single words, two-word phrases, a word with a preposition and
another word («чехол для телефона»), shop words around a product word («купить кроссовки оптом»), order sizes
(«от 100 шт»), and typos (a letter dropped, doubled, swapped with its neighbour or replaced by its neighbour on
the keyboard). Each query differs from every other and from the repeated set in its meaningful words
(``understand.query_words``), so no query's answer can be found in a cache of whole queries.
Deterministic for a given catalogue and seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from storefront.search.understand import query_words

PREPOSITIONS = ("для", "с", "на", "из", "в", "без")
SHOP_BEFORE = ("купить", "заказать", "")
SHOP_AFTER = ("оптом", "недорого", "от производителя", "из китая", "")
SIZES = ("от 10 шт", "от 100 шт", "50 пар", "10 упаковок")
#: Russian ЙЦУКЕН neighbours on the keyboard row, for a plausible wrong key.
_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
_NEIGHBOURS = {
    char: row[max(0, i - 1) : i] + row[i + 1 : i + 2] for row in _ROWS for i, char in enumerate(row)
}  # fmt: skip


def typo(word: str, rng: random.Random) -> str:
    """``word`` with one slip of the finger (words under 5 letters are left alone)."""
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # a letter dropped
        return word[:i] + word[i + 1 :]
    if kind == 1:  # a letter doubled
        return word[:i] + word[i] + word[i:]
    if kind == 2:  # neighbours swapped
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    neighbours = _NEIGHBOURS.get(word[i], "")
    return word[:i] + rng.choice(neighbours) + word[i + 1 :] if neighbours else word[:i] + word[i + 1 :]


def _lexicon(titles: Iterable[str], category_names: Iterable[str]) -> tuple[list[list[str]], list[str]]:
    """Title and category word lists (lower case, letters only, prepositions kept) and the title's «для …» tails."""
    phrases: list[list[str]] = []
    tails: dict[str, None] = {}
    for text in [*titles, *category_names]:
        found = [word for word in text.lower().replace("ё", "е").split() if word.isalpha()]
        if found:
            phrases.append(found)
            tails.update({f"{a} {b}": None for a, b in zip(found, found[1:], strict=False) if a in PREPOSITIONS})
    return phrases, list(tails)


#: Shares of the stream by kind of query (typos are rarer than clean phrases, as in the labelled set).
KINDS = {"word": 0.1, "two": 0.3, "three": 0.15, "preposition": 0.2, "shop": 0.1, "size": 0.05, "typo": 0.1}


def _content(phrase: list[str]) -> list[str]:
    return [word for word in phrase if word not in PREPOSITIONS and len(word) > 2] or phrase


def _query(kind: str, phrase: list[str], tails: list[str], rng: random.Random) -> str:
    content = _content(phrase)
    start = rng.randrange(len(content))
    pair = content[start : start + 2] if start + 1 < len(content) else content[max(0, start - 1) : start + 1]
    if kind == "word":
        parts = [content[start]]
    elif kind == "two":
        parts = pair
    elif kind == "three":
        parts = content[max(0, start - 2) : start + 1]
    elif kind == "preposition":  # «чехол для телефона»: a title's head word and a «для …» of any title
        parts = [content[0], rng.choice(tails)]
    elif kind == "shop":
        parts = [rng.choice(SHOP_BEFORE), *pair, rng.choice(SHOP_AFTER)]
    elif kind == "size":
        parts = [*pair, rng.choice(SIZES)]
    else:  # a typo in one word of a phrase
        parts = list(pair)
        slip = rng.randrange(len(parts))
        parts[slip] = typo(parts[slip], rng)
    return " ".join(part for part in parts if part)


def new_queries(
    titles: Sequence[str],
    category_names: Sequence[str],
    count: int,
    seed: int = 19,
    exclude: Iterable[str] = (),
) -> list[str]:
    """Up to ``count`` distinct queries (by their meaningful words), none meaning the same as one in ``exclude``;
    fewer only when the catalogue's words give no more."""
    rng = random.Random(seed)
    phrases, tails = _lexicon(titles, category_names)
    seen = {tuple(query_words(query)) for query in exclude}
    found: list[str] = []
    made = dict.fromkeys(KINDS, 0)
    misses = dict.fromkeys(KINDS, 0)
    while len(found) < count:
        open_kinds = [kind for kind in KINDS if misses[kind] < 1000]
        if not open_kinds:  # a small catalogue: fewer new queries (the bench reports any repetition)
            break
        # The kind furthest behind its share, so a kind that rarely repeats (typos) does not crowd out the rest.
        kind = min(open_kinds, key=lambda name: made[name] / KINDS[name])
        query = _query(kind, rng.choice(phrases), tails, rng)
        key = tuple(query_words(query))
        if not key or key in seen:
            misses[kind] += 1  # in a row: a kind this catalogue has no more new queries of is closed
            continue
        seen.add(key)
        made[kind] += 1
        misses[kind] = 0
        found.append(query)
    return found

"""The new-query stream of ``search_uncached``: distinct meanings, none of the repeated set, realistic shapes."""

import random

from bench.query_stream import new_queries, typo
from storefront.search.understand import query_words

TITLES = [
    "Чехол для iPhone 15 силиконовый прозрачный",
    "Кроссовки мужские беговые сетчатые",
    "Коврик для мыши тканевый с подсветкой",
    "Ёлка искусственная 180 см на металлической подставке",
    "Набор ножей керамический с магнитной подставкой",
    "Наушники беспроводные с шумоподавлением",
]
NAMES = ["Чехлы для телефонов", "Кроссовки и кеды", "Компьютерные аксессуары"]


def test_queries_differ_in_meaning_and_leave_out_the_repeated_set():
    queries = new_queries(TITLES, NAMES, 200, exclude=["кроссовки мужские"])
    keys = [tuple(query_words(query)) for query in queries]
    assert len(queries) > 50
    assert len(set(keys)) == len(keys)
    assert ("кроссовки", "мужские") not in keys
    assert new_queries(TITLES, NAMES, 200, exclude=["кроссовки мужские"]) == queries  # deterministic
    assert any(" для " in query for query in queries)


def test_a_small_catalogue_gives_fewer_queries_rather_than_repeats():
    queries = new_queries(TITLES[:1], [], 10_000)
    assert 0 < len(queries) < 10_000
    assert len({tuple(query_words(query)) for query in queries}) == len(queries)


def test_a_typo_is_one_slip_and_short_words_are_kept():
    rng = random.Random(1)
    slipped = [typo("кроссовки", rng) for _ in range(50)]
    assert all(abs(len(word) - len("кроссовки")) <= 1 for word in slipped)
    assert sum(word != "кроссовки" for word in slipped) > 40  # a swap of equal neighbours («сс») changes nothing
    assert typo("кот", rng) == "кот"

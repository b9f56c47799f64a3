"""What a buyer's query means, before it is matched: the one place for query understanding.

- Stop words («для», «на», «в») and shop words («купить», «оптом», «недорого», «от производителя»)
  say nothing about the product and are dropped; a query of nothing else is searched as typed.
- Colloquial words, Cyrillic brand names and spelling variants («айфон», «худи», «пауэрбанк»,
  «зарядка») get the catalogue's words as alternatives from ``data/synonyms.json``: a query word
  then matches a product holding the word itself *or* any alternative. An alternative may be a
  phrase («внешний аккумулятор»), which matches when all its words occur.

Everything goes through the same ``normalise`` pipeline as documents, so an alternative written in
the data file meets a title in any inflection.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from storefront.search.normalise import MAX_QUERY_CHARS, MAX_QUERY_WORDS, fold, query_terms, word_terms, words

#: Words that carry no meaning in a product query.
STOP_WORDS = frozenset(
    "и в во на с со из для по от до к ко у о об а или без под над при за the and for with of".split()
)
#: Words about buying rather than about the product: wholesale, price, where from, how many.
SHOP_WORDS = frozenset(
    """купить куплю покупка заказать заказ оптом опт оптовый оптовая оптовые мелкий мелким крупный крупным
    розница розницу недорого недорогой недорогие дешево дешевый дешевые дешевле цена цены ценам стоимость
    прайс скидка скидки распродажа акция все всё весь вся производитель производителя производителей
    фабрика фабрики завод завода поставщик поставщика китай китая китайский китайские доставка доставкой
    магазин интернет товар товары товаров продажа прямые напрямую wholesale buy cheap price""".split()
)
IGNORED = frozenset(fold(word) for word in STOP_WORDS | SHOP_WORDS)

SYNONYMS_FILE = Path(__file__).with_name("data") / "synonyms.json"
#: A phrase alternative inside a term group: its words separated by this, each word's terms by ``TERM_OR``.
PHRASE_AND = " "
TERM_OR = "|"


def query_words(query: str) -> list[str]:
    """The meaningful folded words of a query (stop and shop words dropped unless nothing else is left)."""
    found = words(query[:MAX_QUERY_CHARS])[: MAX_QUERY_WORDS * 2]
    meaningful = [word for word in found if word not in IGNORED]
    return (meaningful or found)[:MAX_QUERY_WORDS]


@lru_cache(maxsize=1)
def synonyms() -> dict[str, tuple[str, ...]]:
    """The built-in synonym list: folded key → folded alternatives."""
    data = json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))
    return {fold(key): tuple(map(fold, values)) for key, values in data.items() if not key.startswith("_")}


@lru_cache(maxsize=50_000)
def alternatives(word: str) -> tuple[str, ...]:
    """The synonym list's alternatives of a word, found by the word or any of its normal forms or stem."""
    table = synonyms()
    found: dict[str, None] = {}
    for key in (word, *query_terms(word), *word_terms(word)):
        for value in table.get(key, ()):
            found[value] = None
    return tuple(found)


def _phrase_element(phrase: list[str]) -> str:
    return PHRASE_AND.join(TERM_OR.join(query_terms(part)) for part in phrase)


@lru_cache(maxsize=50_000)
def expanded_terms(word: str) -> tuple[str, ...]:
    """The term group of a query word: its own terms, its one-word alternatives' terms, and phrase elements.

    A phrase element is ``"a|a2 b"``: every space-separated part must occur, any of its ``|`` terms.
    """
    group: dict[str, None] = dict.fromkeys(query_terms(word))
    for alternative in alternatives(word):
        parts = words(alternative)
        if len(parts) == 1:
            group.update(dict.fromkeys(query_terms(parts[0])))
        elif parts:
            group[_phrase_element(parts)] = None
    return tuple(group)


def element_terms(element: str) -> list[str]:
    """The plain terms of one group element (a term, or the terms of a phrase element)."""
    return [term for part in element.split(PHRASE_AND) for term in part.split(TERM_OR)]

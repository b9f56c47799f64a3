"""What a buyer's query means, before it is matched: the one place for query understanding.

- Stop words («для», «на», «в») and shop words («купить», «оптом», «недорого», «от производителя»)
  say nothing about the product and are dropped; a query of nothing else is searched as typed.
- Colloquial words, Cyrillic brand names and spelling variants («айфон», «худи», «пауэрбанк»,
  «зарядка») get the catalogue's words as alternatives from the synonym table: the built-in
  ``data/synonyms.json`` with the marketing team's CRM rows over it (``layered_synonyms``; the
  rows are read in ``search.synonyms``). A query word
  then matches a product holding the word itself *or* any alternative. An alternative may be a
  phrase («внешний аккумулятор»), which matches when all its words occur.

Everything goes through the same ``normalise`` pipeline as documents, so an alternative written in
the data file meets a title in any inflection.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from storefront.search.normalise import (
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    fold,
    is_known_word,
    query_terms,
    word_terms,
    words,
)

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
#: Units of an order size («от 100 шт»): dropped with the number before them.
QUANTITY_UNITS = frozenset("шт штук штуки штука пар пары уп упак упаковок упаковки коробок коробки pcs".split())
IGNORED = frozenset(fold(word) for word in STOP_WORDS | SHOP_WORDS)

SYNONYMS_FILE = Path(__file__).with_name("data") / "synonyms.json"
#: A phrase alternative inside a term group: its words separated by this, each word's terms by ``TERM_OR``.
PHRASE_AND = " "
TERM_OR = "|"


def query_words(query: str) -> list[str]:
    """The meaningful folded words of a query (stop and shop words dropped unless nothing else is left).

    An order size («от 100 шт», «10 пар», «50 упаковок») is about buying, not the product: the unit
    and the number before it are dropped too.
    """
    found = words(query[:MAX_QUERY_CHARS])[: MAX_QUERY_WORDS * 2]
    meaningful: list[str] = []
    for word in found:
        if word in QUANTITY_UNITS:
            if meaningful and meaningful[-1].isdigit():
                meaningful.pop()
            continue
        if word not in IGNORED:
            meaningful.append(word)
    return (meaningful or found)[:MAX_QUERY_WORDS]


@lru_cache(maxsize=1)
def built_in_synonyms() -> dict[str, tuple[str, ...]]:
    """The built-in synonym list: folded key → folded alternatives."""
    data = json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))
    return {fold(key): tuple(map(fold, values)) for key, values in data.items() if not key.startswith("_")}


def layered_synonyms(
    built_in: Mapping[str, tuple[str, ...]], edits: Iterable[tuple[str, Sequence[str], bool]]
) -> dict[str, tuple[str, ...]]:
    """The built-in list with the CRM's rows over it: ``(word, alternatives, disabled)``.

    A row replaces the built-in entry of its word, a disabled row removes it, a new word is added.
    """
    table = dict(built_in)
    for word, values, disabled in edits:
        key = fold(word)
        if disabled:
            table.pop(key, None)
        else:
            table[key] = tuple(fold(value) for value in values)
    return table


class SynonymTable:
    """A synonym table and what it expands query words to (memoised per table: a new table starts afresh).

    ``version`` tells tables apart in cache keys (matched candidates are cached per table).
    """

    MEMO_ENTRIES = 50_000

    def __init__(self, table: Mapping[str, tuple[str, ...]], version: Hashable = "built-in") -> None:
        self.table = dict(table)
        # A key the dictionary does not know («шмотка», «пауэрбанк») is also found by its stem, as a
        # query word it does not know is looked up by its stem: «шмотки» then finds «шмотка».
        for key, values in table.items():
            if not is_known_word(key):
                for term in word_terms(key):
                    self.table.setdefault(term, values)
        self.version = version
        self._alternatives: dict[str, tuple[str, ...]] = {}
        self._expanded: dict[str, tuple[str, ...]] = {}

    def alternatives(self, word: str) -> tuple[str, ...]:
        """The alternatives of a word, found by the word or any of its normal forms or stem."""
        hit = self._alternatives.get(word)
        if hit is None:
            found: dict[str, None] = {}
            for key in (word, *query_terms(word), *word_terms(word)):
                for value in self.table.get(key, ()):
                    found[value] = None
            hit = self._remember(self._alternatives, word, tuple(found))
        return hit

    def expanded_terms(self, word: str) -> tuple[str, ...]:
        """The term group of a query word: its own terms, its one-word alternatives' terms, and phrase elements.

        A phrase element is ``"a|a2 b"``: every space-separated part must occur, any of its ``|`` terms.
        """
        hit = self._expanded.get(word)
        if hit is None:
            group: dict[str, None] = dict.fromkeys(query_terms(word))
            for alternative in self.alternatives(word):
                parts = words(alternative)
                if len(parts) == 1:
                    group.update(dict.fromkeys(query_terms(parts[0])))
                elif parts:
                    group[_phrase_element(parts)] = None
            hit = self._remember(self._expanded, word, tuple(group))
        return hit

    def _remember(self, memo: dict[str, tuple[str, ...]], word: str, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(memo) >= self.MEMO_ENTRIES:
            memo.clear()
        memo[word] = value
        return value


@lru_cache(maxsize=1)
def built_in_table() -> SynonymTable:
    """The built-in list alone (no CRM rows): what tests and tools without a database use."""
    return SynonymTable(built_in_synonyms())


def alternatives(word: str, table: SynonymTable | None = None) -> tuple[str, ...]:
    return (table or built_in_table()).alternatives(word)


def expanded_terms(word: str, table: SynonymTable | None = None) -> tuple[str, ...]:
    return (table or built_in_table()).expanded_terms(word)


def _phrase_element(phrase: list[str]) -> str:
    return PHRASE_AND.join(TERM_OR.join(query_terms(part)) for part in phrase)


def element_terms(element: str) -> list[str]:
    """The plain terms of one group element (a term, or the terms of a phrase element)."""
    return [term for part in element.split(PHRASE_AND) for term in part.split(TERM_OR)]

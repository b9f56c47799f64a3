"""The one text pipeline for search: documents and queries go through the same functions.

Lower case, ё → е, words split on anything that is not a letter or digit, and each word expanded
to its *terms*: the word itself, every pymorphy3 normal form (all of them for ambiguous words,
so «стали» gives «сталь» and «стать») and its Snowball stem. A query word matches a document when
they share a term, which is why «кроссовок», «кроссовки» and «Кроссовки» meet on «кроссовок».
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pymorphy3
import Stemmer

WORD = re.compile(r"[^\W_]+")
#: Longest query we look at; the rest is ignored (a 10,000-character query is not a search).
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8

_morph = pymorphy3.MorphAnalyzer()
_stemmer = Stemmer.Stemmer("russian")
_english_stemmer = Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Lower case and ё → е: the spelling every comparison uses."""
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return WORD.findall(fold(text))


def word_terms(word: str) -> tuple[str, ...]:
    """All index terms of one folded word: a number is its own only term (not cached: a feed of a million offers
    holds about as many numbers — model numbers, SKUs — and the cache would grow with each)."""
    if word.isdigit():
        return (word,)
    return _word_terms(word)


@lru_cache(maxsize=300_000)
def _word_terms(word: str) -> tuple[str, ...]:
    """``word_terms`` of a word with a letter (cached: catalogue vocabularies are small)."""
    terms = {word}
    if any("а" <= char <= "я" for char in word):
        terms.update(fold(parse.normal_form) for parse in _morph.parse(word))
        terms.add(_stemmer.stemWord(word))
    else:
        terms.add(_english_stemmer.stemWord(word))
    return tuple(sorted(terms))


@lru_cache(maxsize=50_000)
def query_terms(word: str) -> tuple[str, ...]:
    """The terms a query word is looked up by: fewer than a document indexes, same matches.

    A dictionary word is found by its normal forms alone (every inflection of it in a document
    indexed them too); an unknown word (a brand, a typo) also by its surface form and stem.
    """
    if is_known_word(word) and any("а" <= char <= "я" for char in word):
        return tuple(sorted({fold(parse.normal_form) for parse in _morph.parse(word)}))
    return word_terms(word)


def document_terms(text: str) -> str:
    """A field's text as a space-separated list of terms, ready for FTS5 or to_tsvector('simple')."""
    return " ".join(term for word in words(text) for term in word_terms(word))


def is_known_word(word: str) -> bool:
    return _morph.word_is_known(word)


# --- Queries typed in the wrong keyboard layout or in Latin transliteration -------------------

_LAYOUT_EN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_LAYOUT_RU = "йцукенгшщзхъфывапролджэячсмитьбюё"
_EN_TO_RU = str.maketrans(_LAYOUT_EN + _LAYOUT_EN.upper(), _LAYOUT_RU + _LAYOUT_RU.upper())

_TRANSLIT = [
    ("shch", "щ"),
    ("sch", "щ"),
    ("yo", "ё"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("ya", "я"),
    ("ju", "ю"),
    ("ja", "я"),
    ("ye", "е"),
    ("a", "а"),
    ("b", "б"),
    ("v", "в"),
    ("w", "в"),
    ("g", "г"),
    ("d", "д"),
    ("e", "е"),
    ("z", "з"),
    ("i", "и"),
    ("j", "й"),
    ("y", "ы"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("f", "ф"),
    ("h", "х"),
    ("c", "к"),
    ("x", "кс"),
    ("q", "к"),
    ("'", "ь"),
]
_TRANSLIT_RE = re.compile("|".join(re.escape(latin) for latin, _ in _TRANSLIT))
_TRANSLIT_MAP = dict(_TRANSLIT)


def switch_layout(text: str) -> str:
    """Russian typed with the English layout switched on: «rhjccjdrb» → «кроссовки»."""
    return text.translate(_EN_TO_RU)


def transliterate(text: str) -> str:
    """Latin transliteration back to Cyrillic: «krossovki» → «кроссовки»."""
    return _TRANSLIT_RE.sub(lambda match: _TRANSLIT_MAP[match.group(0)], text.lower())


def is_latin(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and all(char.isascii() for char in letters)


_RUSSIAN_LETTERS = "абвгдежзийклмнопрстуфхцчшщъыьэюя"


@lru_cache(maxsize=10_000)
def one_typo_corrections(word: str) -> tuple[str, ...]:
    """Dictionary words one edit away (delete, swap, insert, replace), most likely first (cached).

    Walks the dictionary's DAWG instead of looking each of the ~700 edits up: the part of a word before an edit is
    followed once, and an inserted or replaced letter no dictionary word continues with is dropped after one step,
    so a word costs a few hundred steps instead of ~700 look-ups (3 ms). The same words in the same order as
    ``is_known_word`` over every edit (ё matched by е, as there).
    """
    if len(word) < 4 or not all("а" <= char <= "я" for char in word) or is_known_word(word):
        return ()
    dawg = _morph.dictionary.words.dct
    before: list[list[int]] = [[dawg.ROOT]]  # the DAWG states after word[:i]
    for char in word:
        before.append(_follow(dawg, before[-1], char))
    found: dict[str, None] = {}

    def check(left: int, middle: str, right: int) -> None:
        states = _follow(dawg, _follow(dawg, before[left], middle), word[right:])
        if any(dawg.follow_bytes(_PAYLOAD_SEPARATOR, state) is not None for state in states):
            candidate = word[:left] + middle + word[right:]
            if candidate != word:
                found.setdefault(candidate)

    size = len(word)
    for i in range(size):
        check(i, "", i + 1)
    for i in range(size - 1):
        check(i, word[i + 1] + word[i], i + 2)
    for i in range(size + 1):
        for char in _RUSSIAN_LETTERS:
            check(i, char, i)
    for i in range(size):
        for char in _RUSSIAN_LETTERS:
            check(i, char, i + 1)
    return tuple(found)


#: What ends a word in pymorphy's words DAWG (its payload follows).
_PAYLOAD_SEPARATOR = b"\x01"
#: Each letter's UTF-8 steps; е also as ё (the dictionary spells ё, folded words never do).
_STEPS = {char: (char.encode(),) for char in _RUSSIAN_LETTERS} | {"е": ("е".encode(), "ё".encode())}


def _follow(dawg: Any, states: list[int], text: str) -> list[int]:
    """The DAWG states reached from ``states`` by ``text`` (empty when no dictionary word continues so)."""
    for char in text:
        if not states:
            return states
        steps = _STEPS.get(char) or (char.encode(),)
        states = [found for state in states for step in steps if (found := dawg.follow_bytes(step, state)) is not None]
    return states


@lru_cache(maxsize=50_000)
def normal_form(word: str) -> str:
    """The likeliest normal form of a folded word («чехлы» → «чехол»); an unknown word stays as it is."""
    if any("а" <= char <= "я" for char in word) and is_known_word(word):
        return fold(_morph.parse(word)[0].normal_form)
    return word

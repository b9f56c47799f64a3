"""Typo corrections walk the dictionary's DAWG: the same words in the same order as looking every edit up."""

from __future__ import annotations

import pytest

from storefront.search.normalise import _RUSSIAN_LETTERS, is_known_word, one_typo_corrections


def every_edit_looked_up(word: str) -> tuple[str, ...]:
    """The reference: every one-edit variant (delete, swap, insert, replace) checked with ``is_known_word``."""
    if len(word) < 4 or not all("а" <= char <= "я" for char in word) or is_known_word(word):
        return ()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = [left + right[1:] for left, right in splits if right]
    edits += [left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1]
    edits += [left + char + right for left, right in splits for char in _RUSSIAN_LETTERS]
    edits += [left + char + right[1:] for left, right in splits if right for char in _RUSSIAN_LETTERS]
    return tuple(dict.fromkeys(edit for edit in edits if edit != word and is_known_word(edit)))


@pytest.mark.parametrize(
    "word",
    [
        "кроссвоки",  # swapped letters
        "телефрна",  # a wrong key
        "разборныо",
        "детсая",  # a dropped letter
        "подсветкка",  # a doubled letter
        "елкка",  # ё in the dictionary, е in the query
        "шелкоывй",
        "ежжик",
        "абырвалг",  # nothing near
        "кроссовки",  # a known word: nothing to correct
        "кот",  # too short
        "iphone",  # not Cyrillic
    ],
)
def test_the_dawg_walk_finds_what_looking_every_edit_up_finds(word):
    assert one_typo_corrections.__wrapped__(word) == every_edit_looked_up(word)


def test_a_typo_finds_its_word():
    assert "кроссовки" in one_typo_corrections("кроссвоки")
    assert "елка" in one_typo_corrections("елкка")  # «ёлка» in the dictionary

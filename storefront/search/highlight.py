"""Marking the matched words of a title for the results page. Everything else is escaped."""

from __future__ import annotations

from collections.abc import Set
from functools import lru_cache

from markupsafe import Markup, escape

from storefront.search.normalise import WORD, fold, word_terms


def highlight(text: str, terms: Set[str]) -> Markup:
    """``text`` HTML-escaped, with each word that shares a term with the query in ``<mark>``."""
    if not terms:
        return escape(text)
    return _highlight(text, frozenset(terms))


@lru_cache(maxsize=20_000)  # a popular query shows the same titles again and again
def _highlight(text: str, terms: frozenset[str]) -> Markup:
    folded = fold(text)  # same length as text: lower() and ё→е keep Russian and Latin lengths
    if len(folded) != len(text):
        return escape(text)
    # Plain strings joined once: building Markup piece by piece costs more than the matching.
    pieces: list[str] = []
    position = 0
    for found in WORD.finditer(folded):
        if not terms.isdisjoint(word_terms(found.group(0))):
            start, end = found.span()
            pieces += (str(escape(text[position:start])), "<mark>", str(escape(text[start:end])), "</mark>")
            position = end
    if not pieces:
        return escape(text)
    pieces.append(str(escape(text[position:])))
    return Markup("".join(pieces))

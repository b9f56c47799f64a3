"""Marking the matched words of a title for the results page. Everything else is escaped."""

from __future__ import annotations

from collections.abc import Set

from markupsafe import Markup, escape

from storefront.search.normalise import WORD, fold, word_terms


def highlight(text: str, terms: Set[str]) -> Markup:
    """``text`` HTML-escaped, with each word that shares a term with the query in ``<mark>``."""
    if not terms:
        return escape(text)
    pieces, position = [], 0
    folded = fold(text)  # same length as text: lower() and ё→е keep Russian and Latin lengths
    if len(folded) != len(text):
        return escape(text)
    for found in WORD.finditer(folded):
        if terms.intersection(word_terms(found.group(0))):
            pieces.append(escape(text[position : found.start()]))
            pieces.append(Markup("<mark>%s</mark>") % text[found.start() : found.end()])
            position = found.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)

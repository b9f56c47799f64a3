"""URL slugs from Russian text: transliterated, lower case, hyphenated («Кроссовки мужские» → krossovki-muzhskie)."""

from __future__ import annotations

from slugify import slugify

MAX_SLUG_LENGTH = 120


def make_slug(text: str, max_length: int = MAX_SLUG_LENGTH, fallback: str = "item") -> str:
    """A transliterated slug cut on a word boundary; ``fallback`` when nothing is left (e.g. «★»).

    The transliteration is text-unidecode's, named: the «auto» choice first tries to import Unidecode (not
    installed), and that failed import, repeated for every call, was most of the time a feed import spent on
    slugs. Naming it also keeps slugs from changing should Unidecode ever be installed.
    """
    return (
        slugify(text, max_length=max_length, word_boundary=True, save_order=True, backend="text-unidecode") or fallback
    )

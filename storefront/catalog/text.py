"""Catalogue text as the buyer reads it: category names in the buyer's language, and product descriptions.

Product descriptions: supplier HTML cut down to a safe subset, plain text kept with its line breaks.

Feeds send descriptions either as plain text or as HTML (YML allows HTML inside CDATA). HTML is
sanitised with nh3 when it is imported (``sanitise_description``) and again when it is shown
(``description_markup``, the ``description`` template filter), so the page only ever marks as
safe text that went through the allow-list, whatever wrote the row.
"""

from __future__ import annotations

import re
from typing import Protocol

import nh3
from flask_babel import get_locale
from markupsafe import Markup, escape

from storefront.catalog.models import Category

#: Paragraphs, line breaks, lists and emphasis; no attributes at all (no links, styles, images).
ALLOWED_TAGS = frozenset({"p", "br", "ul", "ol", "li", "b", "strong", "i", "em"})
#: Looks like markup: a tag or an entity, not just «<» in running text.
_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>|&[A-Za-z]+;|&#\d+;")
_BLANK_LINES = re.compile(r"\n{3,}")
#: Headings are not allowed, but their text should not run into the next paragraph.
_HEADING_OPEN = re.compile(r"<h[1-6](\s[^<>]*)?>", re.IGNORECASE)
_HEADING_CLOSE = re.compile(r"</h[1-6]\s*>", re.IGNORECASE)


def is_html(text: str) -> bool:
    return bool(_MARKUP.search(text))


def _clean(text: str) -> str:
    return nh3.clean(text, tags=set(ALLOWED_TAGS), attributes={}, strip_comments=True, link_rel=None)


def sanitise_description(text: str | None) -> str:
    """The description to store: HTML reduced to ``ALLOWED_TAGS``; plain text unchanged but trimmed."""
    text = (text or "").strip()
    if not is_html(text):
        return text
    text = _HEADING_CLOSE.sub("</b></p>", _HEADING_OPEN.sub("<p><b>", text))
    return _BLANK_LINES.sub("\n\n", _clean(text)).strip()


def description_markup(text: str | None) -> Markup:
    """HTML for the product page: sanitised markup, or escaped plain text with its line breaks."""
    text = text or ""
    if is_html(text):
        return Markup(_clean(text))  # noqa: S704  (nh3 output: only ALLOWED_TAGS, no attributes)
    return Markup("<br>\n").join(escape(line) for line in text.strip().splitlines())


class Titled(Protocol):
    """A product or a card row."""

    @property
    def title(self) -> str: ...

    @property
    def title_en(self) -> str | None: ...


def product_title(product: Titled) -> str:
    """The product's title in the buyer's language: the English title on English pages when there is one."""
    if product.title_en and str(get_locale()) != "ru":
        return product.title_en
    return product.title


def category_name(category: Category) -> str:
    """The category's name in the buyer's language (Russian unless an English name exists)."""
    if category.name_en and str(get_locale()) != "ru":
        return category.name_en
    return category.name

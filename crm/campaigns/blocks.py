"""The block editor's e-mail body: what a block is, how a set of blocks is checked, and how it becomes the message.

A body is a list of at most ``MAX_BLOCKS`` plain dicts, stored as JSON on the campaign (``Campaign.body_blocks``)
and in saved templates (``CampaignTemplate``). Each has a ``type`` from ``BLOCK_TYPES`` and only that type's
fields; ``validate_blocks`` is the one check (types, lengths, https links, product ids), and JSON from outside is
read through ``load_json`` with ``MAX_JSON_BYTES`` and ``MAX_DEPTH``. No field is HTML: the texts are plain text
(paragraphs split by empty lines) that may use the same names as the campaign templates (``{{ buyer.first_name
}}``), rendered in the sandbox of ``rendering.py`` and then escaped by the e-mail layout
``crm/templates/crm/campaigns/email/blocks.html`` (table-based, inline styles, one column up to 600 px that narrows
on a phone). The plain-text part is derived from the same blocks. Product cards carry ids only: their titles and
prices are read when the message is composed (``load_cards``), so a send shows the prices of that moment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from crm.campaigns.rendering import SAMPLE_CONTEXT, MessageContext, TemplateRefused, render
from storefront.catalog.models import Product, ProductStatus
from storefront.catalog.seo import product_canonical
from storefront.i18n import format_rub
from storefront.input_bounds import JSONRefused, load_json
from storefront.pictures import images
from storefront.pictures.queries import main_picture_keys

BLOCK_TYPES = ("heading", "text", "button", "products", "image", "promo", "divider")
MAX_BLOCKS = 40
#: A product block shows at most this many cards.
MAX_PRODUCTS = 6
#: The stored JSON of one body: a list of flat objects (one level of lists inside: the product ids).
MAX_JSON_BYTES = 64_000
MAX_DEPTH = 3
#: field → the longest text it takes.
FIELD_LIMITS = {"text": 5000, "label": 80, "url": 1000, "alt": 200}
#: Per type: its text fields (and their own limit where it is shorter than FIELD_LIMITS).
TYPE_FIELDS: dict[str, dict[str, int]] = {
    "heading": {"text": 200},
    "text": {"text": 5000},
    "button": {"label": 80, "url": 1000},
    "products": {},
    "image": {"url": 1000, "alt": 200},
    "promo": {"text": 300},
    "divider": {},
}
#: Fields that may name the buyer, their tier or the promo code (rendered in the sandbox).
PERSONAL_FIELDS = ("text", "label")
#: An absolute https link: a host, then anything but spaces, quotes and angle brackets.
_HTTPS = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s\"'<>\\]*)?$")
#: One of our own pictures, as the storefront serves it.
_OWN_PICTURE = re.compile(r"^/media/pictures/[A-Za-z0-9_.-]{1,120}$")


class BlocksRefused(ValueError):
    """A body that cannot be saved; ``str(error)`` is the Russian message to show."""


def _label(index: int) -> str:
    return _("Block %(number)s", number=index + 1)


def _clean_text(value: Any, limit: int, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BlocksRefused(_("%(block)s: a field is not text.", block=where))
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if len(value) > limit:
        raise BlocksRefused(_("%(block)s: the text is longer than %(limit)s characters.", block=where, limit=limit))
    return value


def _check_url(url: str, kind: str, where: str) -> None:
    if not url:
        return
    if kind == "image" and _OWN_PICTURE.match(url):
        return
    if not _HTTPS.match(url):
        if kind == "image":
            raise BlocksRefused(
                _("%(block)s: the picture address must start with https:// or be one of our pictures.", block=where)
            )
        raise BlocksRefused(_("%(block)s: the link must start with https://.", block=where))


def validate_blocks(raw: Any) -> list[dict[str, Any]]:
    """The one check of a body: returns a clean copy (only known fields, texts with \\n line ends) or raises
    ``BlocksRefused``. Product ids are checked against the catalogue separately (``check_products``)."""
    if not isinstance(raw, list):
        raise BlocksRefused(_("The blocks could not be read."))
    if len(raw) > MAX_BLOCKS:
        raise BlocksRefused(_("A message may have at most %(limit)s blocks.", limit=MAX_BLOCKS))
    clean: list[dict[str, Any]] = []
    for index, block in enumerate(raw):
        where = _label(index)
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            raise BlocksRefused(_("%(block)s: unknown block type.", block=where))
        kind = block["type"]
        item: dict[str, Any] = {"type": kind}
        for field, limit in TYPE_FIELDS[kind].items():
            value = _clean_text(block.get(field), limit, where)
            if field == "url":
                value = value.strip()
                _check_url(value, kind, where)
            elif field == "label":
                value = " ".join(value.split())
            item[field] = value
        if kind == "products":
            ids = block.get("ids") or []
            if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise BlocksRefused(_("%(block)s: product numbers must be whole numbers.", block=where))
            if len(ids) > MAX_PRODUCTS:
                raise BlocksRefused(
                    _("%(block)s: at most %(limit)s products in one block.", block=where, limit=MAX_PRODUCTS)
                )
            if any(i < 1 or i > 2**31 - 1 for i in ids):
                raise BlocksRefused(_("%(block)s: there is no product with this number.", block=where))
            item["ids"] = list(dict.fromkeys(ids))
        clean.append(item)
    if len(json.dumps(clean, ensure_ascii=False).encode()) > MAX_JSON_BYTES:
        raise BlocksRefused(_("The message is too long."))
    return clean


def blocks_from_json(text: str | bytes) -> list[dict[str, Any]]:
    """Blocks pasted as JSON: bounded before parsing (``load_json``), then ``validate_blocks``."""
    try:
        raw = load_json(text, MAX_JSON_BYTES, MAX_DEPTH)
    except JSONRefused as refused:
        if refused.reason == "syntax":
            raise BlocksRefused(_("The blocks could not be read.")) from None
        raise BlocksRefused(_("The message is too long.")) from None
    return validate_blocks(raw)


def new_block(kind: str) -> dict[str, Any]:
    """A block of ``kind`` with its fields empty (an empty block is kept but renders nothing)."""
    if kind not in BLOCK_TYPES:
        raise BlocksRefused(_("Unknown block type."))
    block: dict[str, Any] = {"type": kind, **{field: "" for field in TYPE_FIELDS[kind]}}
    if kind == "products":
        block["ids"] = []
    return block


def product_ids(blocks: Collection[Mapping[str, Any]] | None) -> list[int]:
    ids: list[int] = []
    for block in blocks or ():
        if block.get("type") == "products":
            ids.extend(i for i in block.get("ids", ()) if i not in ids)
    return ids


def check_products(session: Session, blocks: list[dict[str, Any]]) -> None:
    """Every product id names a product in the catalogue (one that is hidden later is left out when sending)."""
    ids = product_ids(blocks)
    if not ids:
        return
    known = set(session.scalars(select(Product.id).where(Product.id.in_(ids))))
    missing = [i for i in ids if i not in known]
    if missing:
        raise BlocksRefused(
            _("There is no product no. %(id)s in the catalogue.", id=missing[0]),
        )


def check_personal_fields(blocks: list[dict[str, Any]]) -> None:
    """The texts render in the sandbox with the sample buyer (an unknown name or expression is refused)."""
    for index, block in enumerate(blocks):
        for field in PERSONAL_FIELDS:
            if block.get(field):
                try:
                    render(block[field], SAMPLE_CONTEXT, html=False)
                except TemplateRefused as refused:
                    raise BlocksRefused(f"{_label(index)}: {refused}") from None


def uses_promo(blocks: list[dict[str, Any]] | None) -> bool:
    return any(block.get("type") == "promo" for block in blocks or ())


# --- products with the prices of the moment ------------------------------------------------------------------


@dataclass(frozen=True)
class ProductCard:
    id: int
    title: str
    price: Decimal | None
    url: str
    picture_url: str | None


def load_cards(session: Session, ids: Collection[int], base_url: str) -> dict[int, ProductCard]:
    """The active products among ``ids`` with today's rouble price (``price_rub_from``, kept current by the price
    recompute), link and card picture. Read when a message is composed: a send shows the price of that moment."""
    if not ids:
        return {}
    rows = session.execute(
        select(Product.id, Product.title, Product.slug, Product.price_rub_from).where(
            Product.id.in_(list(ids)), Product.status == ProductStatus.ACTIVE.value
        )
    ).all()
    pictures = main_picture_keys(session, [row.id for row in rows])
    cards = {}
    for row in rows:
        key = pictures.get(row.id)
        picture = f"{base_url}/media/pictures/{images.file_name(key, images.CARD)}" if key else None
        cards[row.id] = ProductCard(
            row.id, row.title, row.price_rub_from, product_canonical(base_url, row.id, row.slug), picture
        )
    return cards


def search_products(session: Session, query: str, limit: int = 10) -> list[ProductCard]:
    """Active products whose title or article contains ``query``, or whose number it is (the editor's picker)."""
    query = " ".join(query.split())[:100]
    if not query:
        return []
    # SQLite folds only Latin letters: the word also as typed in lower case and capitalised.
    patterns = {f"%{variant}%" for variant in (query, query.lower(), query.capitalize())}
    condition = or_(
        *(Product.title.ilike(pattern) for pattern in patterns),
        Product.sku.ilike(f"%{query}%"),
        cast(Product.id, String) == query,
    )
    rows = session.execute(
        select(Product.id, Product.title, Product.slug, Product.price_rub_from)
        .where(condition, Product.status == ProductStatus.ACTIVE.value)
        .order_by(Product.popularity.desc(), Product.id)
        .limit(limit)
    ).all()
    return [ProductCard(row.id, row.title, row.price_rub_from, "", None) for row in rows]


# --- rendering --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _layout() -> Template:
    folder = Path(__file__).resolve().parent.parent / "templates" / "crm" / "campaigns" / "email"
    env = Environment(loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined)
    env.filters["rub"] = format_rub
    return env.get_template("blocks.html")


def _paragraphs(text: str) -> list[list[str]]:
    """Paragraphs split by empty lines, each a list of its lines."""
    return [
        [line.strip() for line in part.split("\n") if line.strip()]
        for part in re.split(r"\n\s*\n", text.strip())
        if part.strip()
    ]


@dataclass(frozen=True)
class RenderedBlock:
    type: str
    text: str = ""
    paragraphs: tuple[tuple[str, ...], ...] = ()
    label: str = ""
    url: str = ""
    alt: str = ""
    cards: tuple[ProductCard, ...] = ()


def _prepare(
    blocks: list[dict[str, Any]], cards: Mapping[int, ProductCard], context: MessageContext, base_url: str
) -> list[RenderedBlock]:
    """What each block shows for this recipient; empty blocks (no text, no link, no products) are left out."""
    shown: list[RenderedBlock] = []
    for block in blocks:
        kind = block["type"]

        def personal(field: str, block: Mapping[str, Any] = block) -> str:
            value = block.get(field) or ""
            return render(value, context, html=False) if "{" in value else value

        if kind == "heading" and block.get("text"):
            shown.append(RenderedBlock(kind, text=" ".join(personal("text").split())))
        elif kind == "text" and block.get("text"):
            paragraphs = tuple(tuple(lines) for lines in _paragraphs(personal("text")))
            shown.append(RenderedBlock(kind, paragraphs=paragraphs))
        elif kind == "button" and block.get("label") and block.get("url"):
            shown.append(RenderedBlock(kind, label=personal("label"), url=block["url"]))
        elif kind == "image" and block.get("url"):
            url = block["url"]
            shown.append(RenderedBlock(kind, url=base_url + url if url.startswith("/") else url, alt=block["alt"]))
        elif kind == "products":
            found = tuple(cards[i] for i in block.get("ids", ()) if i in cards)
            if found:
                shown.append(RenderedBlock(kind, cards=found))
        elif kind == "promo" and context.promo_code:
            shown.append(RenderedBlock(kind, text=personal("text"), label=context.promo_code))
        elif kind == "divider":
            shown.append(RenderedBlock(kind))
    return shown


def _text_part(shown: list[RenderedBlock], words: Mapping[str, str]) -> str:
    parts: list[str] = []
    for block in shown:
        if block.type == "heading":
            parts.append(block.text)
        elif block.type == "text":
            parts.extend("\n".join(lines) for lines in block.paragraphs)
        elif block.type == "button":
            parts.append(f"{block.label}: {block.url}")
        elif block.type == "image" and block.alt:
            parts.append(f"[{block.alt}]")
        elif block.type == "products":
            parts.append(
                "\n\n".join(
                    f"{card.title}\n"
                    + (f"{words['from']} {format_rub(card.price)}\n" if card.price is not None else "")
                    + card.url
                    for card in block.cards
                )
            )
        elif block.type == "promo":
            parts.append(
                f"{block.text}\n{words['code']}: {block.label}" if block.text else f"{words['code']}: {block.label}"
            )
        elif block.type == "divider":
            parts.append("-" * 30)
    return "\n\n".join(parts) + "\n"


def render_blocks(
    blocks: list[dict[str, Any]],
    cards: Mapping[int, ProductCard],
    context: MessageContext,
    base_url: str,
    subject: str = "",
) -> tuple[str, str]:
    """(HTML, plain text) of one recipient's message. Raises ``TemplateRefused`` when a text's names fail."""
    with force_locale("ru"):
        words = {"from": _("from"), "more": _("View product"), "code": _("Promo code")}
    shown = _prepare(blocks, cards, context, base_url)
    html = _layout().render(blocks=shown, words=words, subject=subject)
    return html, _text_part(shown, words)

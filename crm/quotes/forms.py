"""The quote editor's forms. The lines are a list the page grows and shrinks, so they are read by ``read_lines``
(one Russian message per bad field) rather than declared."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length

from storefront.catalog.models import Product, ProductStatus
from storefront.form_fields import CalendarDayField
from storefront.money import MoneyError, parse_amount
from storefront.quotes.services import LineInput

#: Lines one quote may hold.
MAX_LINES = 100


class NewQuoteForm(FlaskForm):
    #: ``empty``, or ``usual``: the prepared reorder (the usual basket).
    source = HiddenField(validators=[AnyOf(["empty", "usual"], message=_l("Choose how to start the quote."))])


class VersionForm(FlaskForm):
    """A one-click action on the quote as the page showed it (``version``): a stale page changes nothing."""

    version = IntegerField(validators=[InputRequired(message=_l("The page is out of date. Reload it."))])


class ApprovalForm(VersionForm):
    decision = HiddenField(validators=[AnyOf(["approve", "reject"], message=_l("Choose to approve or to send back."))])


class QuoteTermsForm(VersionForm):
    valid_until = CalendarDayField(
        _l("Valid until (inclusive, Moscow)"), validators=[InputRequired(message=_l("Choose the validity date."))]
    )
    note = TextAreaField(
        _l("Note for the buyer"), validators=[Length(max=2000, message=_l("A note is at most 2000 characters."))]
    )


@dataclass
class ReadLines:
    lines: list[LineInput] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


#: Products named in the message when a typed title matches several.
CANDIDATES = 5


def find_product(session: Session, typed: str) -> Product | None:
    """A product by its id or its SKU (case-insensitive), as the manager typed it."""
    typed = typed.strip()
    if not typed:
        return None
    by_sku = session.scalars(select(Product).where(func.lower(Product.sku) == typed.lower())).first()
    if by_sku is not None:
        return by_sku
    return session.get(Product, int(typed)) if typed.isdigit() and len(typed) < 10 else None


def products_titled(session: Session, typed: str) -> list[Product]:
    """Active products whose title holds the typed words, in that order (case-insensitive), a few at most."""
    words = typed.split()
    if not words:
        return []
    # SQLite's lower() folds only ASCII: match the words lower-cased, as typed and with a capital first letter too.
    variants = {" ".join(words).lower(), " ".join(words), " ".join(words).capitalize()}
    patterns = ["%" + "%".join(_escape_like(word) for word in variant.split()) + "%" for variant in variants]
    matches = [func.lower(Product.title).like(pattern, escape="\\") for pattern in patterns]
    matches += [Product.title.like(pattern, escape="\\") for pattern in patterns]
    return list(
        session.scalars(
            select(Product)
            .where(or_(*matches), Product.status == ProductStatus.ACTIVE)
            .order_by(Product.popularity.desc(), Product.id)
            .limit(CANDIDATES + 1)
        )
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _quantity(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) < 8 else None


def read_lines(session: Session, form: MultiDict[str, str]) -> ReadLines:
    """The kept lines (``product-N``, ``quantity-N``, ``price-N``, not ``remove-N``) and the added one
    (``new_product``: id or SKU, ``new_quantity``)."""
    result = ReadLines()
    for key in form:
        if not key.startswith("product-"):
            continue
        index = key.removeprefix("product-")
        if form.get(f"remove-{index}"):
            continue
        product_raw = form.get(key, "")
        product_id = int(product_raw) if product_raw.isdigit() and len(product_raw) < 10 else None
        quantity = _quantity(form.get(f"quantity-{index}", ""))
        price_raw = form.get(f"price-{index}", "").strip()
        if product_id is None:
            result.errors.append(_("A line lost its product: reload the page."))
            continue
        if quantity is None or quantity < 1:
            result.errors.append(_("Type each quantity as a whole number above zero."))
            continue
        price: Decimal | None = None
        if price_raw:
            try:
                price = parse_amount(price_raw, places=2)
            except MoneyError:
                result.errors.append(_("Type each price in roubles, like 1 234,50."))
                continue
        result.lines.append(LineInput(product_id, quantity, price))
    typed = form.get("new_product", "").strip()
    if typed:
        product = find_product(session, typed)
        quantity = _quantity(form.get("new_quantity", "")) if form.get("new_quantity", "").strip() else None
        titled = products_titled(session, typed[:200]) if product is None else []
        if product is None and len(titled) == 1:
            product = titled[0]
        if product is None and titled:
            found = "; ".join(f"{item.title} ({item.sku})" for item in titled[:CANDIDATES])
            result.errors.append(
                _("Several products match «%(typed)s»: %(found)s. Type the SKU.", typed=typed[:64], found=found)
            )
        elif product is None:
            result.errors.append(_("No product with the id, SKU or title «%(typed)s».", typed=typed[:64]))
        elif quantity is None and form.get("new_quantity", "").strip():
            result.errors.append(_("Type each quantity as a whole number above zero."))
        else:
            result.lines.append(LineInput(product.id, quantity or product.moq))
    if len(result.lines) > MAX_LINES:
        result.errors.append(_("A quote holds at most %(num)d lines.", num=MAX_LINES))
    return result

"""The prepared reorder: a draft quote from the buyer's usual basket at today's prices (``storefront.quotes``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from crm.quotes.basket import usual_basket
from storefront.account.models import Buyer
from storefront.catalog.models import Product
from storefront.fx.services import Pricing
from storefront.quotes.models import Quote
from storefront.quotes.services import LineInput, QuoteRefused, new_quote, price_product, save_draft


@dataclass
class PreparedReorder:
    quote: Quote
    #: Products of the usual basket that cannot be offered today (inactive, no price), by title.
    skipped: list[str] = field(default_factory=list)


def prepare_reorder(
    session: Session, buyer: Buyer, staff_id: int | None, pricing: Pricing, *, valid_until: datetime, now: datetime
) -> PreparedReorder:
    """A draft with the usual basket's products and quantities (raised to today's MOQ) at today's break and tier
    prices, for the manager to adjust and send. Flushes; the caller commits."""
    tier_bp = buyer.tier.discount_bp if buyer.tier is not None else 0
    lines: list[LineInput] = []
    skipped: list[str] = []
    for item in usual_basket(session, buyer.id):
        product = session.get(Product, item.product_id)
        if product is None:
            skipped.append(item.title)
            continue
        quantity = max(item.quantity, product.moq)
        try:
            price_product(product, quantity, pricing, tier_bp)
        except QuoteRefused:
            skipped.append(item.title)
            continue
        lines.append(LineInput(product.id, quantity))
    quote = new_quote(session, buyer, staff_id, valid_until)
    save_draft(session, quote, lines, pricing, valid_until=valid_until, note="", now=now, version=quote.version)
    return PreparedReorder(quote, skipped)

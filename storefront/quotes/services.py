"""Quote use cases: draft, price, send (or ask an admin when a price is below the floor), approve, withdraw,
expire, and accept into an order. No Flask here.

Prices come from the catalogue's own rules: the price break for the quantity (``cart.services.price_line``, which
uses ``catalog.pricing``), less the buyer's tier discount (``order.totals.percent_of``); the negotiated price is the
manager's, checked against ``QuotePolicy.floor_percent`` of the break price. Every state change is one conditional
UPDATE on the status (and, from a staff form, the version the page was built on): two clicks, two tabs or two
staff members cannot both move a quote. Accepting goes through ``order.services.create_order`` (stock reserved
there) with the quoted prices as the order's lines; the placement token ``quote-<id>`` is unique, so a quote can
never make two orders. Use cases flush; the entry point commits (and calls ``announce_placement`` after).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from storefront.account.models import Address, Buyer
from storefront.cart.services import MAX_QUANTITY, price_line
from storefront.catalog.models import Product, ProductStatus
from storefront.db import rowcount
from storefront.errors import NotFound, ShopError
from storefront.fx.services import Pricing
from storefront.jobs import periodic
from storefront.money import quantize_kopecks
from storefront.order.holds import HoldPolicy, PaymentMethod, PaymentMethodNotOffered, offered_methods, payment_hold
from storefront.order.models import Order
from storefront.order.services import LineDraft, OrderDraft, check_unpaid_cap, create_order, find_order_by_token
from storefront.order.totals import compute_totals, percent_of
from storefront.outbox import expect_mail
from storefront.quotes.models import Approval, Quote, QuoteLine, QuoteStatus
from storefront.shipping.points import PICKUP_METHODS
from storefront.shipping.services import ShippingQuote, list_quotes

logger = logging.getLogger(__name__)

POLICY_EXTENSION = "quote_policy"
#: The highest negotiated unit price accepted (a typing mistake beyond it, not an offer).
MAX_UNIT_PRICE = Decimal("10000000.00")


@dataclass(frozen=True)
class QuotePolicy:
    #: The lowest negotiated price, as a percentage of the break price, a manager may send without an admin.
    floor_percent: Decimal = Decimal("85")
    valid_days: int = 14

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> QuotePolicy:
        return cls(Decimal(config["QUOTE_PRICE_FLOOR_PERCENT"]), int(config["QUOTE_VALID_DAYS"]))

    def floor(self, list_price: Decimal) -> Decimal:
        """The lowest price within policy for a line whose break price is ``list_price`` (rounded up)."""
        return quantize_kopecks(list_price * self.floor_percent / Decimal(100))


class QuoteRefused(ShopError):
    """A quote change or an acceptance that is not allowed now; ``reason`` says why (the views word it).

    Reasons: ``stale`` (the page is out of date), ``not_draft``, ``empty``, ``past_validity``, ``not_pending``,
    ``accepted``, ``expired``, ``withdrawn``, ``not_offered``, ``no_address``, ``no_shipping``, ``unavailable``,
    ``below_moq``, ``no_price``, ``bad_price``, ``bad_quantity``, ``duplicate``.
    """

    def __init__(self, reason: str, *, title: str = "", moq: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.title = title
        self.moq = moq


@dataclass(frozen=True)
class LinePrice:
    #: The price break for the quantity, in roubles.
    list_price: Decimal
    #: ``list_price`` less the buyer's tier discount.
    tier_price: Decimal


def price_product(product: Product, quantity: int, pricing: Pricing, tier_discount_bp: int) -> LinePrice:
    """Today's break price for ``quantity`` and the tier price; refuses a product that cannot be sold, a quantity
    below its MOQ or not positive."""
    if quantity < 1 or quantity > MAX_QUANTITY:
        raise QuoteRefused("bad_quantity", title=product.title)
    priced = price_line(product, quantity, pricing)
    if priced.problem in ("unavailable", "no_price"):
        raise QuoteRefused(str(priced.problem), title=product.title)
    if quantity < product.moq:
        raise QuoteRefused("below_moq", title=product.title, moq=product.moq)
    list_price = priced.unit_price
    return LinePrice(list_price, list_price - percent_of(list_price, tier_discount_bp))


@dataclass(frozen=True)
class LineInput:
    product_id: int
    quantity: int
    #: The negotiated price; None: the tier price.
    unit_price: Decimal | None = None


def new_quote(session: Session, buyer: Buyer, staff_id: int | None, valid_until: datetime, note: str = "") -> Quote:
    """An empty draft. Flushes; the caller commits."""
    tier = buyer.tier
    quote = Quote(
        buyer_id=buyer.id,
        status=QuoteStatus.DRAFT,
        approval=Approval.NONE,
        version=1,
        valid_until=valid_until,
        note=note,
        tier_code=tier.code if tier is not None else None,
        tier_discount_bp=tier.discount_bp if tier is not None else 0,
        created_by=staff_id,
    )
    session.add(quote)
    session.flush()
    return quote


def _move(
    session: Session,
    quote: Quote,
    from_statuses: Sequence[QuoteStatus],
    values: dict[str, Any],
    *,
    version: int | None,
    extra: Sequence[Any] = (),
) -> bool:
    """One conditional UPDATE: the quote is in one of ``from_statuses`` (and at ``version`` when given); the version
    goes up. True when it moved; the quote is refreshed either way."""
    condition = [Quote.id == quote.id, Quote.status.in_([str(status) for status in from_statuses]), *extra]
    if version is not None:
        condition.append(Quote.version == version)
    moved = rowcount(
        session.execute(
            update(Quote)
            .where(*condition)
            .values(version=Quote.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(quote)
    return moved == 1


def _refuse_stale(quote: Quote, wanted: Sequence[QuoteStatus]) -> QuoteRefused:
    return QuoteRefused("stale" if quote.status in wanted else "not_draft")


def save_draft(
    session: Session,
    quote: Quote,
    lines: Sequence[LineInput],
    pricing: Pricing,
    *,
    valid_until: datetime,
    note: str,
    now: datetime,
    version: int,
) -> Quote:
    """Replace the draft's lines and terms, each line priced anew at today's break and tier prices (the buyer's
    current tier); a line without a negotiated price gets the tier price. Checks everything before it changes
    anything. Flushes; the caller commits (or rolls back on ``QuoteRefused``)."""
    if valid_until <= now:
        raise QuoteRefused("past_validity")
    seen: set[int] = set()
    for line in lines:
        if line.product_id in seen:
            raise QuoteRefused("duplicate")
        seen.add(line.product_id)
    products = _products(session, [line.product_id for line in lines])
    tier = quote.buyer.tier
    tier_bp = tier.discount_bp if tier is not None else 0
    new_lines: list[QuoteLine] = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None:
            raise QuoteRefused("unavailable")
        price = price_product(product, line.quantity, pricing, tier_bp)
        unit_price = price.tier_price if line.unit_price is None else quantize_kopecks(line.unit_price)
        if not Decimal("0") < unit_price <= MAX_UNIT_PRICE:
            raise QuoteRefused("bad_price", title=product.title)
        new_lines.append(
            QuoteLine(
                product_id=product.id,
                sku=product.sku,
                title=product.title,
                quantity=line.quantity,
                list_price=price.list_price,
                tier_price=price.tier_price,
                unit_price=unit_price,
            )
        )
    values = {
        "valid_until": valid_until,
        "note": note,
        "tier_code": tier.code if tier is not None else None,
        "tier_discount_bp": tier_bp,
        "updated_at": now,
    }
    if not _move(session, quote, [QuoteStatus.DRAFT], values, version=version):
        raise _refuse_stale(quote, [QuoteStatus.DRAFT])
    quote.lines.clear()
    session.flush()
    quote.lines.extend(new_lines)
    session.flush()
    return quote


def lines_below_floor(quote: Quote, policy: QuotePolicy) -> list[QuoteLine]:
    return [line for line in quote.lines if line.unit_price < policy.floor(line.list_price)]


def send_quote(session: Session, quote: Quote, policy: QuotePolicy, now: datetime, *, version: int) -> Quote:
    """Draft → sent. Within the floor the buyer is e-mailed at once; below it the quote waits for an admin
    (``approval`` pending, nothing sent). Flushes; the caller commits (with the audit entry)."""
    if quote.status != QuoteStatus.DRAFT:
        raise QuoteRefused("not_draft")
    if not quote.lines:
        raise QuoteRefused("empty")
    if quote.valid_until <= now:
        raise QuoteRefused("past_validity")
    pending = bool(lines_below_floor(quote, policy))
    values: dict[str, Any] = {
        "status": QuoteStatus.SENT,
        "approval": Approval.PENDING if pending else Approval.NONE,
        "approved_by": None,
        "updated_at": now,
        "sent_at": None if pending else now,
    }
    if not _move(session, quote, [QuoteStatus.DRAFT], values, version=version):
        raise _refuse_stale(quote, [QuoteStatus.DRAFT])
    if not pending:
        expect_mail(session, "quote_sent", quote_id=quote.id)
    return quote


def decide_approval(
    session: Session, quote: Quote, staff_id: int, *, approve: bool, now: datetime, version: int
) -> Quote:
    """An admin approves a quote below the floor (it goes to the buyer) or sends it back to draft. Flushes; the
    caller commits (with the audit entry)."""
    if not quote.awaiting_approval:
        raise QuoteRefused("not_pending")
    if approve and quote.valid_until <= now:
        raise QuoteRefused("past_validity")
    pending = [Quote.approval == Approval.PENDING]
    if approve:
        values: dict[str, Any] = {
            "approval": Approval.APPROVED,
            "approved_by": staff_id,
            "sent_at": now,
            "updated_at": now,
        }
    else:
        values = {"status": QuoteStatus.DRAFT, "approval": Approval.NONE, "updated_at": now}
    if not _move(session, quote, [QuoteStatus.SENT], values, version=version, extra=pending):
        raise QuoteRefused("stale")
    if approve:
        expect_mail(session, "quote_sent", quote_id=quote.id)
    return quote


def withdraw_quote(session: Session, quote: Quote, now: datetime, *, version: int) -> Quote:
    """A draft or a sent quote is withdrawn: the buyer can no longer accept it. Flushes; the caller commits."""
    open_statuses = [QuoteStatus.DRAFT, QuoteStatus.SENT]
    if quote.status not in open_statuses:
        raise QuoteRefused(str(quote.status))
    values = {"status": QuoteStatus.WITHDRAWN, "closed_at": now, "updated_at": now}
    if not _move(session, quote, open_statuses, values, version=version):
        raise QuoteRefused("stale" if quote.status in open_statuses else str(quote.status))
    return quote


@periodic("expire-quotes", every=timedelta(minutes=15))
def expire_quotes(session: Session, now: datetime) -> str:
    """Sent quotes past their validity become «expired» (one UPDATE; an acceptance racing it loses or wins whole:
    both are conditional on ``status = 'sent'``)."""
    expired = rowcount(
        session.execute(
            update(Quote)
            .where(Quote.status == QuoteStatus.SENT, Quote.valid_until <= now)
            .values(status=QuoteStatus.EXPIRED, closed_at=now, updated_at=now, version=Quote.version + 1)
            .execution_options(synchronize_session=False)
        )
    )
    session.commit()
    return f"expired {expired}"


def buyer_quotes(session: Session, buyer_id: int) -> list[Quote]:
    """The quotes the buyer has been sent (drafts and quotes awaiting approval are the staff's), newest first."""
    return list(
        session.scalars(
            select(Quote)
            .where(Quote.buyer_id == buyer_id, Quote.sent_at.is_not(None))
            .options(selectinload(Quote.lines))
            .order_by(Quote.sent_at.desc(), Quote.id.desc())
        )
    )


def buyer_quote(session: Session, buyer_id: int, quote_id: int) -> Quote:
    """One quote the buyer has been sent; ``NotFound`` for anyone else's, a draft or one awaiting approval."""
    quote = session.get(Quote, quote_id)
    if quote is None or quote.buyer_id != buyer_id or quote.sent_at is None:
        raise NotFound(quote_id)
    return quote


def acceptance_problem(quote: Quote, now: datetime) -> str | None:
    """Why the buyer cannot accept the quote now (None: they can)."""
    if quote.status == QuoteStatus.SENT and quote.approval == Approval.PENDING:
        return "not_offered"
    if quote.status == QuoteStatus.SENT:
        return "expired" if quote.valid_until <= now else None
    if quote.status == QuoteStatus.DRAFT:
        return "not_offered"
    return str(quote.status)


def placement_token(quote: Quote) -> str:
    return f"quote-{quote.id}"


def accept_quote(
    session: Session,
    quote: Quote,
    buyer: Buyer,
    now: datetime,
    holds: HoldPolicy,
    *,
    payment_method: PaymentMethod = PaymentMethod.CARD,
    bank_transfers: bool = False,
    client_ip: str | None = None,
) -> Order:
    """The buyer's one click: the quote becomes an order at the quoted prices, delivered to the buyer's main
    address by the cheapest carrier (free when their tier says so), holding its stock for ``payment_method`` as
    the checkout does. Checked again here: the quote is sent, approved when it needed it, within its validity (one
    conditional UPDATE, so a second click or a concurrent one is refused with ``QuoteRefused``); the method is
    offered to this buyer (``PaymentMethodNotOffered``); the buyer holds fewer unpaid orders than the cap
    (``TooManyUnpaidOrders``); every product is in stock (``OutOfStock`` from ``reserve_stock``). A refusal rolls
    the session back and leaves the quote sent. Flushes; the caller commits, then announces the placement."""
    if quote.buyer_id != buyer.id:
        raise NotFound(quote.id)
    if payment_method not in offered_methods(company=buyer.is_company, bank_transfers=bank_transfers):
        raise PaymentMethodNotOffered()
    problem = acceptance_problem(quote, now)
    if problem is not None:
        raise QuoteRefused(problem)
    address = main_address_of(session, buyer.id)
    if address is None:
        raise QuoteRefused("no_address")
    moved = rowcount(
        session.execute(
            update(Quote)
            .where(
                Quote.id == quote.id,
                Quote.status == QuoteStatus.SENT,
                Quote.approval != Approval.PENDING,
                Quote.valid_until > now,
            )
            .values(status=QuoteStatus.ACCEPTED, accepted_at=now, updated_at=now, version=Quote.version + 1)
            .execution_options(synchronize_session=False)
        )
    )
    if moved != 1:  # another click or the expiry job was quicker
        session.rollback()
        session.refresh(quote)
        raise QuoteRefused(acceptance_problem(quote, now) or "stale")
    try:
        draft = _order_draft(session, quote, buyer, address, client_ip, payment_method)
        check_unpaid_cap(session, draft, now, holds.unpaid_per_client)
        order = create_order(session, draft, now, payment_hold(payment_method, holds, now))
        session.execute(
            update(Quote)
            .where(Quote.id == quote.id)
            .values(order_id=order.id)
            .execution_options(synchronize_session=False)
        )
        session.flush()
        expect_mail(session, "order_placed", order_id=order.id)
    except ShopError:
        session.rollback()  # the quote stays sent: the buyer may try again when the goods are back
        raise
    session.refresh(quote)
    logger.info("quote %s accepted as order %s", quote.id, order.number)
    return order


def main_address_of(session: Session, buyer_id: int) -> Address | None:
    """The buyer's main address (the first saved one, as ``account.queries.main_address`` orders them)."""
    return session.scalars(
        select(Address).where(Address.buyer_id == buyer_id).order_by(Address.position, Address.id).limit(1)
    ).first()


def cheapest_delivery(
    session: Session, buyer: Buyer, region_code: str, weight_grams: int, goods: Decimal
) -> ShippingQuote | None:
    """The carrier an accepted quote ships with: the cheapest to the region that needs no pickup point choice."""
    tier = buyer.tier
    options = list_quotes(session, region_code, weight_grams, goods, bool(tier and tier.free_shipping))
    return next((option for option in options if option.code not in PICKUP_METHODS), None)


@dataclass(frozen=True)
class Delivery:
    address: Address | None
    shipping: ShippingQuote | None


def delivery_preview(session: Session, quote: Quote, buyer: Buyer) -> Delivery:
    """Where and how an accepted quote would ship, for the buyer's page before the click."""
    address = main_address_of(session, buyer.id)
    if address is None:
        return Delivery(None, None)
    products = _products(session, [line.product_id for line in quote.lines if line.product_id is not None])
    weight = sum(
        products[line.product_id].weight_grams * line.quantity for line in quote.lines if line.product_id in products
    )
    return Delivery(address, cheapest_delivery(session, buyer, address.region_code, weight, quote.total))


def _order_draft(
    session: Session, quote: Quote, buyer: Buyer, address: Address, client_ip: str | None, payment_method: PaymentMethod
) -> OrderDraft:
    products = _products(session, [line.product_id for line in quote.lines if line.product_id is not None])
    lines: list[LineDraft] = []
    for line in quote.lines:
        product = products.get(line.product_id) if line.product_id is not None else None
        if product is None or product.status != ProductStatus.ACTIVE:
            raise QuoteRefused("unavailable", title=line.title)
        lines.append(
            LineDraft(
                product_id=product.id,
                supplier_id=product.supplier_id,
                sku=product.sku,
                title=product.title,
                quantity=line.quantity,
                unit_price=line.unit_price,
                commission_bp=product.supplier.commission_bp,
                weight_grams=product.weight_grams,
            )
        )
    weight = sum(line.weight_grams * line.quantity for line in lines)
    shipping = cheapest_delivery(session, buyer, address.region_code, weight, quote.total)
    if shipping is None:
        raise QuoteRefused("no_shipping")
    # The tier discount is inside the quoted prices already: the order applies none on top.
    totals = compute_totals([line.line_amount for line in lines], shipping=shipping.amount)
    company: dict[str, str | None] = {}
    if buyer.is_company:
        company = {
            "company_name": buyer.company_name,
            "inn": buyer.inn,
            "kpp": buyer.kpp,
            "ogrn": buyer.ogrn,
            "legal_address": buyer.legal_address,
        }
    return OrderDraft(
        placement_token=placement_token(quote),
        buyer_id=buyer.id,
        email=buyer.email,
        phone=buyer.phone or address.phone,
        contact_name=buyer.name,
        company=company,
        region_code=address.region_code,
        city=address.city,
        postcode=address.postcode,
        street=address.street,
        recipient=address.recipient,
        recipient_phone=address.phone,
        shipping_method_id=shipping.method_id,
        shipping_method_name=shipping.name,
        shipping_min_days=shipping.min_days,
        shipping_max_days=shipping.max_days,
        totals=totals,
        lines=lines,
        tier_code=quote.tier_code,
        tier_discount_bp=0,
        client_ip=client_ip,
        payment_method=payment_method.value,
    )


def order_of(session: Session, quote: Quote) -> Order | None:
    """The order the quote became (None before it is accepted)."""
    if quote.order_id is not None:
        return session.get(Order, quote.order_id)
    return find_order_by_token(session, placement_token(quote))


def _products(session: Session, ids: Sequence[int]) -> dict[int, Product]:
    if not ids:
        return {}
    rows = session.scalars(
        select(Product)
        .where(Product.id.in_(ids))
        .options(selectinload(Product.price_breaks), selectinload(Product.supplier))
    )
    return {product.id: product for product in rows}

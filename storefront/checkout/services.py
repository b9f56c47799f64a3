"""Checkout: price the cart with shipping, tier and promo into a quote; place the order once.

No Flask here. ``place_order`` is idempotent (the form's placement token is unique on the
order) and atomic (order, lines, stock reservation, promo use, consents, the emptied cart and the
confirmation e-mail are written together or not at all: a refusal or a lost race rolls the session back); it
flushes, the caller commits and then calls ``announce_placement`` (``order_placed`` goes out
only after the commit).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.account.models import Buyer, Tier
from storefront.account.services import ConsentRecord, record_consents
from storefront.cart.models import Cart
from storefront.cart.services import (
    AboveStock,
    BelowMinimum,
    CartError,
    PricedCart,
    ProductUnavailable,
    add_to_cart,
    clear_cart,
    price_cart,
)
from storefront.catalog.models import Product
from storefront.checkout.drafts import forget_draft
from storefront.errors import ShopError
from storefront.events import order_placed
from storefront.fx.services import Pricing
from storefront.order.attribution import attributed_campaign
from storefront.order.holds import HoldPolicy, PaymentMethod, PaymentMethodNotOffered, offered_methods, payment_hold
from storefront.order.models import Order
from storefront.order.services import LineDraft, OrderDraft, check_unpaid_cap, create_order, find_order_by_token
from storefront.order.totals import Totals, compute_totals
from storefront.outbox import expect_mail
from storefront.promo.models import PromoCode, PromoKind
from storefront.promo.services import PromoInvalid, claim_promo_use, holder_key, validate_promo
from storefront.shipping.points import PICKUP_METHODS, PickupPoint, check_pickup_point
from storefront.shipping.services import ShippingQuote, get_quote, list_quotes

logger = logging.getLogger(__name__)


class CartEmpty(ShopError):
    """Nothing to order."""


class CartNeedsAttention(ShopError):
    """Some lines cannot be ordered as they are (unavailable, below MOQ, above stock)."""


class PricesChanged(ShopError):
    """Prices or availability changed since the buyer saw the cart; show the new ones and ask again."""

    def __init__(self, quote: CheckoutQuote) -> None:
        super().__init__("prices changed")
        self.quote = quote


def new_placement_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class TierBenefit:
    code: str | None = None
    name: str | None = None
    discount_bp: int = 0
    free_shipping: bool = False

    @classmethod
    def of(cls, tier: Tier | None) -> TierBenefit:
        if tier is None:
            return cls()
        return cls(tier.code, tier.name, tier.discount_bp, tier.free_shipping)


@dataclass
class CheckoutQuote:
    cart: PricedCart
    shipping_options: list[ShippingQuote]
    shipping: ShippingQuote | None
    tier: TierBenefit
    promo: PromoCode | None
    promo_error: str | None
    totals: Totals
    fingerprint: str = ""
    notes: list[str] = field(default_factory=list)


def build_quote(
    session: Session,
    cart: Cart | None,
    pricing: Pricing,
    *,
    region_code: str | None,
    shipping_method_id: int | None,
    promo_code: str | None,
    tier: Tier | None,
    now: datetime,
    promo_holder: str | None = None,
    pickup_points_in_region: bool = True,
) -> CheckoutQuote:
    """Everything the review shows: lines, shipping options for the region, discounts, totals. Pickup-point methods
    are offered only where there are points (``pickup_points_in_region``)."""
    priced = price_cart(session, cart, pricing)
    benefit = TierBenefit.of(tier)
    subtotal = priced.subtotal
    promo: PromoCode | None = None
    promo_error: str | None = None
    if promo_code and promo_code.strip():
        try:
            promo = validate_promo(session, promo_code, subtotal, benefit.code, now, promo_holder)
        except PromoInvalid as error:
            promo_error = error.reason
    promo_percent = promo.percent_bp if promo is not None and promo.kind == PromoKind.PERCENT else 0
    promo_fixed = promo.fixed_amount if promo is not None and promo.kind == PromoKind.FIXED else None
    goods_after = compute_totals(
        [subtotal], tier_discount_bp=benefit.discount_bp, promo_percent_bp=promo_percent, promo_fixed=promo_fixed
    ).goods_after_discounts
    options = list_quotes(session, region_code, priced.weight_grams, goods_after, benefit.free_shipping)
    if not pickup_points_in_region:
        options = [option for option in options if option.code not in PICKUP_METHODS]
    # Until the buyer picks a carrier, the review shows the cheapest one, so the total is never without shipping.
    chosen = next((o for o in options if o.method_id == shipping_method_id), options[0] if options else None)
    totals = compute_totals(
        [line.line_amount for line in priced.orderable],
        tier_discount_bp=benefit.discount_bp,
        promo_percent_bp=promo_percent,
        promo_fixed=promo_fixed,
        shipping=chosen.amount if chosen else Decimal("0.00"),
    )
    return CheckoutQuote(priced, options, chosen, benefit, promo, promo_error, totals, priced.fingerprint())


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str
    name: str
    company: dict[str, str | None]


@dataclass(frozen=True)
class Destination:
    region_code: str
    city: str
    postcode: str
    street: str
    recipient: str
    recipient_phone: str


@dataclass(frozen=True)
class PlacementResult:
    order: Order
    created: bool


def place_order(
    session: Session,
    cart: Cart | None,
    pricing: Pricing,
    *,
    placement_token: str,
    seen_fingerprint: str,
    buyer: Buyer | None,
    contact: Contact,
    destination: Destination,
    shipping_method_id: int,
    promo_code: str | None,
    consent: ConsentRecord | None,
    now: datetime,
    holds: HoldPolicy,
    payment_method: PaymentMethod = PaymentMethod.CARD,
    bank_transfers: bool = False,
    client_ip: str | None = None,
    campaign_click: tuple[int, datetime] | None = None,
    pickup_point: PickupPoint | None = None,
) -> PlacementResult:
    """Place the order for the cart; the same token again returns the order already placed. The order holds its
    stock for ``payment_hold(payment_method, holds, now)``; a client already holding ``holds.unpaid_per_client``
    unpaid orders is refused (``TooManyUnpaidOrders``); a method not offered to this buyer
    (``holds.offered_methods``; ``bank_transfers``: our requisites are configured) is refused
    (``PaymentMethodNotOffered``). Flushes (rolls back on a refusal); the caller commits, then calls
    ``announce_placement`` when ``created``."""
    existing = find_order_by_token(session, placement_token)
    if existing is not None:
        return PlacementResult(existing, False)
    if payment_method not in offered_methods(company=bool(contact.company), bank_transfers=bank_transfers):
        raise PaymentMethodNotOffered()
    tier = buyer.tier if buyer is not None else None
    promo_holder = holder_key(buyer.id if buyer is not None else None, contact.email)
    quote = build_quote(
        session,
        cart,
        pricing,
        region_code=destination.region_code,
        shipping_method_id=shipping_method_id,
        promo_code=promo_code,
        tier=tier,
        now=now,
        promo_holder=promo_holder,
    )
    if not quote.cart.lines:
        raise CartEmpty()
    if quote.cart.has_problems:
        raise CartNeedsAttention()
    if quote.fingerprint != seen_fingerprint:
        raise PricesChanged(quote)
    if quote.promo_error is not None:
        raise PromoInvalid(quote.promo_error)
    shipping = get_quote(
        session,
        shipping_method_id,
        destination.region_code,
        quote.cart.weight_grams,
        quote.totals.goods_after_discounts,
        quote.tier.free_shipping,
    )
    check_pickup_point(shipping.code, pickup_point, destination.region_code)
    lines = [
        LineDraft(
            product_id=line.product.id,
            supplier_id=line.product.supplier_id,
            sku=line.product.sku,
            title=line.product.title,
            quantity=line.quantity,
            unit_price=line.unit_price,
            commission_bp=line.product.supplier.commission_bp,
            weight_grams=line.product.weight_grams,
        )
        for line in quote.cart.orderable
    ]
    draft = OrderDraft(
        placement_token=placement_token,
        buyer_id=buyer.id if buyer is not None else None,
        email=contact.email,
        phone=contact.phone,
        contact_name=contact.name,
        company=contact.company,
        region_code=destination.region_code,
        city=destination.city,
        postcode=destination.postcode,
        street=destination.street,
        recipient=destination.recipient,
        recipient_phone=destination.recipient_phone,
        shipping_method_id=shipping.method_id,
        shipping_method_name=shipping.name,
        shipping_min_days=shipping.min_days,
        shipping_max_days=shipping.max_days,
        totals=quote.totals,
        lines=lines,
        tier_code=quote.tier.code,
        tier_discount_bp=quote.tier.discount_bp,
        promo_code=quote.promo.code if quote.promo else None,
        campaign_id=attributed_campaign(quote.promo.campaign_id if quote.promo else None, campaign_click, buyer, now),
        fx_rates={currency: str(rate) for currency, rate in pricing.rates.items()},
        client_ip=client_ip,
        payment_method=PaymentMethod(payment_method).value,
    )
    check_unpaid_cap(session, draft, now, holds.unpaid_per_client)
    try:
        order = create_order(session, draft, now, payment_hold(payment_method, holds, now))
        if pickup_point is not None and shipping.code in PICKUP_METHODS:
            order.pickup_point = pickup_point.label()
        if quote.promo is not None:
            claim_promo_use(session, quote.promo.id, order.id, promo_holder, buyer.id if buyer is not None else None)
        if consent is not None:
            record_consents(session, contact.email, buyer, consent, now)
        if cart is not None:
            forget_draft(cart)
            clear_cart(session, cart)
        session.flush()
        expect_mail(session, "order_placed", order_id=order.id)  # rendered and written with the order
    except IntegrityError:
        # The same form submitted concurrently: the other request's order won the unique token.
        session.rollback()
        existing = find_order_by_token(session, placement_token)
        if existing is None:
            raise
        return PlacementResult(existing, False)
    except ShopError:
        session.rollback()  # a refusal undoes all of it
        raise
    logger.info("order %s placed", order.number)
    return PlacementResult(order, True)


def announce_placement(result: PlacementResult) -> None:
    """Tell subscribers (the CRM) about a new order, after its commit."""
    if result.created:
        order_placed.send(None, order_id=result.order.id, number=result.order.number)


@dataclass(frozen=True)
class ReorderLine:
    title: str
    quantity: int
    #: 'added', 'price_changed', 'quantity_changed', 'unavailable'
    outcome: str
    old_unit_price: Decimal | None = None
    new_unit_price: Decimal | None = None
    added_quantity: int = 0


def reorder(session: Session, order: Order, cart: Cart, pricing: Pricing) -> list[ReorderLine]:
    """Put the order's items back in the cart at today's prices; say what changed. Flushes; the caller commits."""
    report: list[ReorderLine] = []
    for line in order.lines:
        product = session.get(Product, line.product_id) if line.product_id else None
        if product is None:
            report.append(ReorderLine(line.title, line.quantity, "unavailable"))
            continue
        quantity = max(product.cap_to_stock(line.quantity), product.moq)
        try:
            add_to_cart(session, cart, product.id, quantity)
        except (ProductUnavailable, BelowMinimum, AboveStock, CartError):  # refused before any change
            report.append(ReorderLine(line.title, line.quantity, "unavailable"))
            continue
        new_price = price_cart(session, cart, pricing)
        priced = next((p for p in new_price.lines if p.product.id == product.id), None)
        unit_price = priced.unit_price if priced is not None else None
        if quantity != line.quantity:
            outcome = "quantity_changed"
        elif unit_price is not None and unit_price != line.unit_price:
            outcome = "price_changed"
        else:
            outcome = "added"
        report.append(ReorderLine(line.title, line.quantity, outcome, line.unit_price, unit_price, quantity))
    return report

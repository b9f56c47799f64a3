"""Everything we hold about one buyer, as one JSON-ready mapping (152-FZ art. 14: the data themselves).

The storefront's share is built here (``storefront_export``); the CRM's share comes from its registered part.
Staff internal notes and tasks are left out on purpose (docs/decisions.md: «Personal data requests»).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storefront.account.models import Address, Buyer, Consent
from storefront.cart.models import Cart, CartLine
from storefront.db import utcnow
from storefront.errors import NotFound
from storefront.fulfilment.models import Shipment
from storefront.logins.models import LoginKind
from storefront.logins.services import sessions_of
from storefront.maillog import SentEmail
from storefront.order.models import Order
from storefront.payment.models import Payment
from storefront.privacy.models import DataRequest
from storefront.privacy.parts import PrivacyPart
from storefront.privacy.plain import fields, plain
from storefront.promo.models import PromoCode, PromoUse

FORMAT = "mostik-personal-data/1"

BUYER_FIELDS = (
    "id",
    "email",
    "name",
    "phone",
    "kind",
    "company_name",
    "inn",
    "kpp",
    "ogrn",
    "legal_address",
    "created_at",
    "last_login_at",
    "is_active",
    "erased_at",
    "first_utm_source",
    "first_utm_medium",
    "first_utm_campaign",
)
ORDER_FIELDS = (
    "number",
    "created_at",
    "status",
    "payment_status",
    "email",
    "phone",
    "contact_name",
    "buyer_kind",
    "company_name",
    "inn",
    "kpp",
    "ogrn",
    "legal_address",
    "region_code",
    "city",
    "postcode",
    "street",
    "recipient",
    "recipient_phone",
    "shipping_method_name",
    "pickup_point",
    "currency",
    "subtotal_amount",
    "tier_code",
    "tier_discount_amount",
    "promo_code",
    "promo_discount_amount",
    "shipping_amount",
    "vat_amount",
    "total_amount",
    "paid_at",
    "shipped_at",
    "delivered_at",
    "completed_at",
    "canceled_at",
)


def _consent(consent: Consent) -> dict[str, Any]:
    data = fields(consent, "kind", "text_version", "granted_at", "source_page", "ip_address", "withdrawn_at")
    document = consent.document
    data["document"] = (
        None
        if document is None
        else {
            "title": document.title,
            "version": document.version,
            "published_at": plain(document.published_at),
            "path": f"/legal/{document.kind}/v/{document.version}",
        }
    )
    return data


def _payment(payment: Payment) -> dict[str, Any]:
    data = fields(payment, "created_at", "status", "amount", "currency", "succeeded_at", "canceled_at")
    data["refunds"] = [fields(refund, "created_at", "status", "amount", "currency") for refund in payment.refunds]
    return data


def _shipment(shipment: Shipment) -> dict[str, Any]:
    data = fields(shipment, "tracking_number", "shipped_at", "delivered_at")
    data["carrier"] = shipment.carrier.name
    data["events"] = [fields(event, "kind", "occurred_at", "place") for event in shipment.events]
    return data


def storefront_export(session: Session, buyer_id: int) -> dict[str, Any]:
    """The storefront's share: account, addresses, consents, orders (lines, payments, shipments), cart, promo
    code uses, the e-mail we sent, and the log of these requests."""
    buyer = session.get(Buyer, buyer_id)
    if buyer is None:
        raise NotFound(f"buyer {buyer_id}")
    orders = list(
        session.scalars(
            select(Order).where(Order.buyer_id == buyer_id).order_by(Order.id).options(selectinload(Order.lines))
        )
    )
    order_ids = [order.id for order in orders]
    payments: dict[int, list[Payment]] = {}
    for payment in session.scalars(
        select(Payment)
        .where(Payment.order_id.in_(order_ids))
        .order_by(Payment.id)
        .options(selectinload(Payment.refunds))
    ):
        payments.setdefault(payment.order_id, []).append(payment)
    shipments: dict[int, list[Shipment]] = {}
    for shipment in session.scalars(
        select(Shipment)
        .where(Shipment.order_id.in_(order_ids))
        .order_by(Shipment.id)
        .options(selectinload(Shipment.events))
    ):
        shipments.setdefault(shipment.order_id, []).append(shipment)
    cart = session.scalars(select(Cart).where(Cart.buyer_id == buyer_id)).first()
    cart_lines = (
        list(session.scalars(select(CartLine).where(CartLine.cart_id == cart.id).order_by(CartLine.id)))
        if cart is not None
        else []
    )
    promo_uses = session.execute(
        select(PromoCode.code, PromoUse.used_at, Order.number)
        .join(PromoCode, PromoCode.id == PromoUse.promo_id)
        .join(Order, Order.id == PromoUse.order_id)
        .where(PromoUse.buyer_id == buyer_id)
        .order_by(PromoUse.id)
    )
    return {
        "account": {**fields(buyer, *BUYER_FIELDS), "tier": buyer.tier.name if buyer.tier else None},
        "addresses": [
            fields(address, "region_code", "city", "postcode", "street", "recipient", "phone", "created_at")
            for address in session.scalars(select(Address).where(Address.buyer_id == buyer_id).order_by(Address.id))
        ],
        "consents": [
            _consent(consent)
            for consent in session.scalars(select(Consent).where(Consent.buyer_id == buyer_id).order_by(Consent.id))
        ],
        "orders": [
            {
                **fields(order, *ORDER_FIELDS),
                "lines": [
                    fields(line, "sku", "title", "quantity", "unit_price", "line_amount", "vat_rate_bp")
                    for line in order.lines
                ],
                "payments": [_payment(payment) for payment in payments.get(order.id, [])],
                "shipments": [_shipment(shipment) for shipment in shipments.get(order.id, [])],
            }
            for order in orders
        ],
        "cart": {
            "lines": [
                {"product": line.product.title, "sku": line.product.sku, **fields(line, "quantity", "added_at")}
                for line in cart_lines
            ],
            "checkout_draft": plain(cart.checkout_draft) if cart is not None else None,
        },
        "promo_code_uses": [
            {"code": code, "order": number, "used_at": plain(used)} for code, used, number in promo_uses
        ],
        "emails_sent": [
            fields(email, "sent_at", "to_address", "kind", "subject")
            for email in session.scalars(select(SentEmail).where(SentEmail.buyer_id == buyer_id).order_by(SentEmail.id))
        ],
        "signed_in_devices": [
            fields(row, "created_at", "last_seen_at", "ip_address", "user_agent")
            for row in sessions_of(session, LoginKind.BUYER, buyer_id)
        ],
        "data_requests": [
            {**fields(request, "kind", "created_at"), "by": "staff" if request.staff_id else "buyer"}
            for request in session.scalars(
                select(DataRequest).where(DataRequest.buyer_id == buyer_id).order_by(DataRequest.id)
            )
        ],
    }


def build_export(
    session: Session,
    buyer_id: int,
    operator: dict[str, str],
    parts: tuple[PrivacyPart, ...] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """The whole export: the operator (who holds the data), the storefront's share, then each registered part's
    under its name."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "generated_at": plain(now or utcnow()),
        "operator": operator,
        **storefront_export(session, buyer_id),
    }
    for part in parts:
        document[part.name] = part.export(session, buyer_id)
    return document

"""The УПД (универсальный передаточный документ, status 1: счёт-фактура and передаточный документ together) for
an order handed over to a company or a sole trader.

When: the moment the order becomes «delivered» (``order.services.change_status`` sends ``order_delivered`` in that
transaction), whether the last shipment's «delivered» event moved it (``fulfilment.services
.deliver_complete_orders``) or staff did. Delivered is the hand-over: the goods pass to the buyer then (not when
a part leaves the warehouse, and before the buyer's «всё в порядке», which may never come), and one document for
the whole order keeps its amounts equal to the order's own totals — discounts, shipping and VAT are the order's,
not a shipment's.

Once: the order id is unique in ``upd_documents``; the number is taken first (``numbering.take_number``: its lock
orders all issuers of the year), and the order is looked up again under that lock, so a second issuer finds the
first one's document and gives its number back. Amounts come from the order's stored totals, split over the lines
by ``order.totals.split_order`` (the one place for VAT). What is printed is frozen in ``Upd.body``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.documents.models import Upd
from storefront.documents.numbering import UPD, give_back, take_number
from storefront.moscow import to_moscow
from storefront.order.models import HistoryKind, Order, OrderStatus, PaymentStatus
from storefront.order.totals import VAT_RATE_BP, split_order
from storefront.outbox import expect_mail
from storefront.seller import Seller
from storefront.shipping.regions import format_address

#: Units by their OKEI code (ОК 015-94): goods are counted in pieces, delivery is a service.
PIECE, SERVICE_UNIT = "796", "876"
#: The currency's code (ОКВ): the Russian rouble.
RUB_CODE = "643"
#: The statuses of a handed-over order.
HANDED_OVER = frozenset({OrderStatus.DELIVERED, OrderStatus.COMPLETED})


def upd_for_order(session: Session, order_id: int) -> Upd | None:
    return session.scalar(select(Upd).where(Upd.order_id == order_id))


def get_upd(session: Session, upd_id: int) -> Upd | None:
    return session.get(Upd, upd_id)


def upds_of_buyer(session: Session, buyer_id: int) -> list[tuple[Upd, str]]:
    """The buyer's УПД, newest first, with their orders' numbers."""
    rows = session.execute(
        select(Upd, Order.number)
        .join(Order, Order.id == Upd.order_id)
        .where(Order.buyer_id == buyer_id)
        .order_by(Upd.issued_on.desc(), Upd.id.desc())
    )
    return [(upd, number or "") for upd, number in rows]


def may_have_upd(order: Order) -> bool:
    """Companies and sole traders get a УПД; persons get none (their fiscal receipt is their document)."""
    return order.is_company and bool(order.inn)


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _payments(order: Order) -> list[dict[str, str]]:
    """The payment documents of the order (row 5 «К платёжно-расчётному документу»): number and Moscow date."""
    return [
        {"number": change.reference or order.number or "", "date": to_moscow(change.created_at).date().isoformat()}
        for change in order.history
        if change.kind == HistoryKind.PAYMENT and change.to_status == PaymentStatus.PAID
    ]


def build_body(order: Order, seller: Seller, when: datetime) -> dict[str, Any]:
    """What the УПД prints, from the order's snapshot and our requisites (amounts as strings, in roubles)."""
    goods, shipping = split_order(
        [line.line_amount for line in order.lines],
        order.tier_discount_amount + order.promo_discount_amount,
        order.shipping_amount,
        order.vat_amount,
    )
    lines: list[dict[str, Any]] = []
    for line, part in zip(order.lines, goods, strict=True):
        lines.append(
            {
                "kind": "goods",
                "name": line.title,
                "code": line.sku,
                "okei": PIECE,
                "quantity": line.quantity,
                "price": _money((part.net / line.quantity).quantize(Decimal("0.01"))),
                "net": _money(part.net),
                "vat_rate_bp": line.vat_rate_bp,
                "vat": _money(part.vat),
                "gross": _money(part.gross),
            }
        )
    if shipping is not None:
        lines.append(
            {
                "kind": "shipping",
                "name": order.shipping_method_name,
                "code": "",
                "okei": SERVICE_UNIT,
                "quantity": 1,
                "price": _money(shipping.net),
                "net": _money(shipping.net),
                "vat_rate_bp": VAT_RATE_BP,
                "vat": _money(shipping.vat),
                "gross": _money(shipping.gross),
            }
        )
    buyer_address = order.legal_address or format_address(order)
    return {
        "order_number": order.number,
        "order_date": to_moscow(order.created_at).date().isoformat(),
        "handed_over_on": to_moscow(when).date().isoformat(),
        "currency": RUB_CODE,
        "shipping_method": order.shipping_method_name,
        "seller": {k: v for k, v in asdict(seller).items() if k in ("full_name", "name", "inn", "kpp", "address")},
        "buyer": {
            "name": order.company_name or order.contact_name,
            "inn": order.inn or "",
            "kpp": order.kpp or "",
            "address": buyer_address,
        },
        "consignee": {"name": order.company_name or order.contact_name, "address": format_address(order)},
        "payments": _payments(order),
        "lines": lines,
        "totals": {
            "net": _money(order.total_amount - order.vat_amount),
            "vat": _money(order.vat_amount),
            "gross": _money(order.total_amount),
        },
    }


def issue_upd(session: Session, order: Order, seller: Seller, now: datetime) -> tuple[Upd | None, bool]:
    """The order's УПД, issued now if it has none: (document, issued by this call). None for a person's order or
    one not handed over. Owes the buyer the «Закрывающие документы» e-mail when it issues. Flushes; the caller
    commits (a rollback takes the number back with it)."""
    if not may_have_upd(order) or order.status not in HANDED_OVER:
        return None, False
    existing = upd_for_order(session, order.id)
    if existing is not None:
        return existing, False
    moscow = to_moscow(now)
    number = take_number(session, UPD, moscow.year)
    existing = upd_for_order(session, order.id)  # under the counter's lock: another issuer has committed
    if existing is not None:
        give_back(session, UPD, moscow.year)
        return existing, False
    upd = Upd(
        order_id=order.id,
        year=moscow.year,
        number=number,
        issued_on=moscow.date(),
        issued_at=now,
        total_amount=order.total_amount,
        vat_amount=order.vat_amount,
        body=build_body(order, seller, now),
    )
    session.add(upd)
    session.flush()
    expect_mail(session, "closing_documents", upd_id=upd.id)
    return upd, True


def issue_missing(session: Session, seller: Seller) -> list[Upd]:
    """The УПД of company orders handed over before УПД existed (or whose issue failed), each dated by its
    delivery, oldest first; each flushed, the caller commits once. Already issued ones are left alone."""
    issued: list[Upd] = []
    due = session.scalars(
        select(Order)
        .where(
            Order.buyer_kind == "company",
            Order.status.in_(HANDED_OVER),
            ~select(Upd.id).where(Upd.order_id == Order.id).exists(),
        )
        .order_by(Order.delivered_at, Order.id)
    )
    for order in list(due):
        upd, new = issue_upd(session, order, seller, order.delivered_at or order.updated_at)
        if upd is not None and new:
            issued.append(upd)
    return issued

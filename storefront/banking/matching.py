"""Which order an incoming bank payment pays, and paying it through the same path as a card payment.

A payment matches by itself when its purpose names exactly one of our orders (``MK-2026-000123``; Cyrillic М/К,
spaces and missing dashes are forgiven, as people type them into a bank's form), that order awaits payment, the
amount equals its total to the kopeck, and — when the order is a company's (it has an INN) — the payer's INN is
the order's. Anything else goes to the review queue with its reason (``ReviewReason``).

Paying (``pay_by_transfer``) is what a captured YooKassa payment does (``storefront.payment.attempts``): a
succeeded ``Payment`` row (the «bank transfer»: its key ``bank-<document id>``, no YooKassa id), then, in the same
transaction, ``payment_captured`` (the settlement ledger posts the capture), the order's money status to paid
with the document as the reference, the «paid» e-mail; and ``order_paid`` after the commit (``announce_paid``:
tiers, reorder statistics, attribution). The order row is locked first, so one order is paid once however many
documents and staff race for it. Staff may split one payment over several orders whose totals it equals exactly
(``services.match_by_hand``): each order gets its own payment row for its total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.banking.models import BankDocument, ReviewReason
from storefront.db import utcnow
from storefront.events import order_paid, payment_captured
from storefront.money import RUB
from storefront.order.models import Order, PaymentStatus
from storefront.order.services import change_payment_status
from storefront.outbox import expect_mail
from storefront.payment.models import AttemptStatus, Payment

#: Our order number as people write it: MK-2026-000123, МК 2026 000123, mk2026000123 (see ``format_number``).
ORDER_NUMBER_RE = re.compile(r"(?<![0-9A-Za-zА-Яа-я])[MМ][KК][\s\-–—_№#]*(\d{4})[\s\-–—_]*(\d{1,6})(?!\d)", re.I)
#: The payment row's key prefix: one document, one payment (the key is unique).
KEY_PREFIX = "bank-"


def order_numbers_in(purpose: str) -> list[str]:
    """The order numbers the purpose names, normalised (MK-2026-000123), each once, in order."""
    found: list[str] = []
    for year, serial in ORDER_NUMBER_RE.findall(purpose):
        number = f"MK-{year}-{int(serial):06d}"
        if number not in found:
            found.append(number)
    return found


@dataclass(frozen=True)
class Verdict:
    #: None: an exact match.
    reason: ReviewReason | None
    order: Order | None


def judge(session: Session, document: BankDocument) -> Verdict:
    """Whether the document pays one order exactly, or why it needs a person."""
    numbers = order_numbers_in(document.purpose)
    document.found_numbers = numbers
    orders = list(session.scalars(select(Order).where(Order.number.in_(numbers)))) if numbers else []
    if not orders:
        return Verdict(ReviewReason.NO_ORDER, None)
    if len(orders) > 1:
        return Verdict(ReviewReason.SEVERAL_ORDERS, None)
    order = orders[0]
    if not order.awaiting_payment:
        return Verdict(ReviewReason.NOT_PAYABLE, order)
    if order.inn and document.payer_inn.strip() != order.inn:
        return Verdict(ReviewReason.OTHER_PAYER, order)
    if document.amount < order.total_amount:
        return Verdict(ReviewReason.PARTIAL, order)
    if document.amount > order.total_amount:
        return Verdict(ReviewReason.OVERPAID, order)
    return Verdict(None, order)


class OrderNotPayable(Exception):
    """The order is paid already or canceled (found once its row is locked)."""


@dataclass(frozen=True)
class PaidOrder:
    """What ``order_paid`` says about an order a document paid (sent after the commit)."""

    order_id: int
    number: str
    amount: Decimal
    buyer_id: int | None
    payment_id: int


def lock_order(session: Session, order_id: int) -> Order:
    """The order's row, locked (PostgreSQL; SQLite serialises writers) and read afresh."""
    order = session.scalars(
        select(Order).where(Order.id == order_id).with_for_update().execution_options(populate_existing=True)
    ).one()
    return order


def pay_by_transfer(
    session: Session,
    document: BankDocument,
    order: Order,
    *,
    staff_id: int | None = None,
    amount: Decimal | None = None,
    share: bool = False,
) -> PaidOrder:
    """Pay the order with the document (see the module's docstring): all of it, or — ``share`` — ``amount`` of it
    (staff splitting one payment over several orders: each share has its own key, ``bank-<document>-<order>``).
    Raises ``OrderNotPayable`` and changes nothing when the order no longer awaits payment. Flushes; the caller
    commits, then calls ``announce_paid``."""
    order = lock_order(session, order.id)
    if not order.awaiting_payment:
        raise OrderNotPayable(order.number)
    paid = document.amount if amount is None else amount
    key = f"{KEY_PREFIX}{document.id}-{order.id}" if share else f"{KEY_PREFIX}{document.id}"
    with session.begin_nested():
        payment = Payment(
            order_id=order.id,
            idempotence_key=key,
            status=AttemptStatus.SUCCEEDED,
            amount=paid,
            currency=RUB,
            capture=True,
            description=f"Банковский перевод: {document.reference}"[:128],
            return_url="",
            receipt={},
            succeeded_at=utcnow(),
        )
        session.add(payment)
        session.flush()
        payment_captured.send(None, session=session, order_id=order.id, payment_id=payment.id)
        change_payment_status(
            session, order, PaymentStatus.PAID, reference=document.reference[:64], amount=paid, staff_id=staff_id
        )
        if document.payment_id is None:  # the first (or only) order it paid
            document.order_id = order.id
            document.payment_id = payment.id
        session.flush()
    expect_mail(session, "order_status", order_id=order.id, event="paid")
    return PaidOrder(order.id, order.number or "", paid, order.buyer_id, payment.id)


def payments_of(session: Session, document: BankDocument) -> list[Payment]:
    """The «bank transfer» payments the document made (one, or one per order it was split over)."""
    whole = f"{KEY_PREFIX}{document.id}"
    return list(
        session.scalars(
            select(Payment)
            .where((Payment.idempotence_key == whole) | Payment.idempotence_key.like(f"{whole}-%"))
            .order_by(Payment.id)
        )
    )


def announce_paid(paid: list[PaidOrder]) -> None:
    """``order_paid`` for every order paid, once the transaction that paid them has committed."""
    for item in paid:
        order_paid.send(
            None,
            order_id=item.order_id,
            number=item.number,
            amount=item.amount,
            buyer_id=item.buyer_id,
            payment_id=item.payment_id,
        )

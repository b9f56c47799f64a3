"""The акт сверки: opening balance, each payment, refund and УПД in the period, turnovers, closing balance."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from storefront.documents.reconciliation import BadPeriod, EntryKind, reconcile
from storefront.order.models import OrderStatus, PaymentStatus
from storefront.order.services import change_payment_status, change_status
from tests.storefront.documents.closing import company_order, pay
from tests.support.factories import create_buyer


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def _world(session: Session) -> tuple[int, list[Decimal], list[str]]:
    """Order A paid 20 Nov, delivered 6 Dec; B paid 10 Dec, refunded in part 12 Dec, not delivered; C paid in 2027;
    another buyer's order paid in December (never counted)."""
    buyer = create_buyer(session, company=True)
    other = create_buyer(session, email="other@example.ru", company=True)
    a = company_order(session, buyer_id=buyer.id)
    b = company_order(session, buyer_id=buyer.id, discount=Decimal("0.00"))
    c = company_order(session, buyer_id=buyer.id, shipping=Decimal("0.00"))
    foreign = company_order(session, buyer_id=other.id)
    pay(session, a, at(11, 20), "PP-1")
    for step in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED):
        change_status(session, a, step, now=at(11, 25))
    change_status(session, a, OrderStatus.DELIVERED, now=at(12, 6))
    pay(session, b, at(12, 10), "PP-2")
    change_payment_status(
        session, b, PaymentStatus.PARTIALLY_REFUNDED, reference="RF-1", amount=Decimal("1000.00"), now=at(12, 12)
    )
    pay(session, c, at(1, 15, 2027), "PP-3")
    pay(session, foreign, at(12, 11), "PP-9")
    session.commit()
    return buyer.id, [a.total_amount, b.total_amount, c.total_amount], [a.number or "", b.number or ""]


def test_a_december_statement(session: Session) -> None:
    buyer_id, (a, b, _c), (number_a, number_b) = _world(session)
    statement = reconcile(session, buyer_id, date(2026, 12, 1), date(2026, 12, 31))

    assert statement.opening == -a  # prepaid in November: we owed the buyer
    kinds = [(entry.on.day, entry.kind, entry.order_number, entry.debit, entry.credit) for entry in statement.entries]
    assert kinds == [
        (6, EntryKind.UPD, number_a, a, Decimal("0.00")),
        (10, EntryKind.PAYMENT, number_b, Decimal("0.00"), b),
        (12, EntryKind.REFUND, number_b, Decimal("1000.00"), Decimal("0.00")),
    ]
    assert statement.entries[0].document == "1"
    assert statement.entries[1].document == "PP-2"
    assert statement.debit_turnover == a + Decimal("1000.00")
    assert statement.credit_turnover == b
    assert statement.closing == -(b - Decimal("1000.00"))


def test_the_whole_history_balances_to_what_was_paid_and_not_delivered(session: Session) -> None:
    buyer_id, (a, b, c), _numbers = _world(session)
    statement = reconcile(session, buyer_id, date(2026, 1, 1), date(2027, 12, 31))
    assert statement.opening == Decimal("0.00")
    assert statement.closing == -(b - Decimal("1000.00")) - c
    # Split anywhere, the closing balance of one period is the opening of the next.
    first = reconcile(session, buyer_id, date(2026, 1, 1), date(2026, 12, 8))
    second = reconcile(session, buyer_id, date(2026, 12, 9), date(2027, 12, 31))
    assert first.closing == second.opening
    assert second.closing == statement.closing
    assert first.closing == Decimal("0.00")  # A paid and handed over


def test_a_period_ending_before_it_starts_is_refused(session: Session) -> None:
    with pytest.raises(BadPeriod):
        reconcile(session, 1, date(2026, 12, 2), date(2026, 12, 1))

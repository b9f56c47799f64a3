"""``flask settlement check`` and ``flask settlement backfill``; ``flask staff create --role finance``."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.staff.models import StaffUser
from storefront.db import utcnow
from storefront.order.models import OrderLine, OrderStatus
from storefront.payment.models import Refund
from storefront.settlement.models import Account, LedgerTransaction, TransactionKind
from tests.storefront.settlement.helpers import balance
from tests.support.factories import create_buyer, create_supplier, paid_order


def test_check_reports_orders_paid_before_the_ledger_and_backfill_mends_them(
    runner: FlaskCliRunner, session: Session
) -> None:
    buyer = create_buyer(session)
    supplier = create_supplier(session, commission_bp=1000)
    order = paid_order(session, buyer.id, "1000.00", paid_at=utcnow() - timedelta(days=30), refunded="100.00")
    order.lines.append(
        OrderLine(
            supplier_id=supplier.id,
            sku="A",
            title="Товар",
            quantity=2,
            unit_price=500,
            line_amount=1000,
            commission_bp=1000,
        )
    )
    order.lines[0].commission_bp = 1000
    refund = session.scalar(select(Refund))
    refund.updated_at = utcnow() - timedelta(days=20)  # refunded before the buyer confirmed
    order.status, order.completed_at = OrderStatus.COMPLETED, utcnow() - timedelta(days=3)
    session.commit()

    broken = runner.invoke(args=["settlement", "check"])
    assert broken.exit_code == 1
    output = broken.output.replace("\xa0", " ")
    assert f"Заказ {order.number}: получено 1 000,00 ₽ − возвращено 100,00 ₽ = 900,00 ₽" in output
    assert "Расчёты не сходятся: 1 расхождение." in output

    filled = runner.invoke(args=["settlement", "backfill"])
    assert filled.exit_code == 0 and "Проведено 3 операции" in filled.output
    kinds = list(session.scalars(select(LedgerTransaction.kind).order_by(LedgerTransaction.created_at)))
    assert kinds == [TransactionKind.CAPTURE, TransactionKind.REFUND, TransactionKind.CONFIRM]  # as they happened
    assert balance(session, Account.PAYABLE, supplier_id=supplier.id) == 81_000  # 900 ₽ less 10 %
    assert balance(session, Account.COMMISSION) == 9_000

    fine = runner.invoke(args=["settlement", "check"])
    assert fine.exit_code == 0 and "Расчёты сходятся: проверен 1 заказ" in fine.output
    assert "Проведено 0 операций" in runner.invoke(args=["settlement", "backfill"]).output


def test_staff_create_makes_a_finance_member(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(
        args=["staff", "create", "--email", "finance@mostik.local", "--role", "finance"],
        env={"MOSTIK_STAFF_PASSWORD": "a long enough password"},
    )
    assert result.exit_code == 0, result.output
    assert session.scalar(select(StaffUser.role)) == "finance"

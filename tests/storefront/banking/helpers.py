"""Orders awaiting a bank transfer, and importing a statement as the entry points do (commit, then ``order_paid``)."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.banking.matching import announce_paid
from storefront.banking.services import ImportSummary, import_statement
from storefront.order.models import Order
from storefront.payment.models import AttemptStatus, Payment
from tests.storefront.banking.statements import PAYER_INN
from tests.support.factories import create_buyer, make_order


def company_order(session: Session, email: str = "buyer@example.ru", *, buyer_id: int | None = None) -> Order:
    """An order of the company buyer (INN ``PAYER_INN``) awaiting payment: 2 × 1 999,90 + 450 = 4 449,80 ₽."""
    if buyer_id is None:
        buyer_id = create_buyer(session, email=email, company=True).id
    order = make_order(session, email=email)
    order.buyer_id = buyer_id
    order.buyer_kind = "company"
    order.company_name = "ООО «Ромашка»"
    order.inn = PAYER_INN
    session.flush()
    return order


def person_order(session: Session, amount_lines=(("Рюкзак", 1, Decimal("1000.00")),)) -> Order:
    return make_order(session, amount_lines, shipping=Decimal("0.00"))


def run_import(app: Flask, session: Session, data: bytes, **kwargs: object) -> ImportSummary:
    with app.app_context():
        summary = import_statement(session, data, our_account=app.config["SELLER_SETTLEMENT_ACCOUNT"], **kwargs)
        session.commit()
        announce_paid(summary.paid)
    session.expire_all()
    return summary


def succeeded_payments(session: Session, order_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(Payment.order_id == order_id, Payment.status == AttemptStatus.SUCCEEDED)
        )
        or 0
    )

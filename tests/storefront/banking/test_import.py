"""Importing statements: in both encodings, an exact payment pays its order through the card payment's path (the
ledger, the «paid» e-mail, reorder statistics), partial, over-, several-order, other-payer and unrecognised payments
wait for review; a second import changes nothing; a malformed file applies nothing; concurrent imports of one file
pay each order once (PostgreSQL)."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.reorder.models import BuyerStats
from storefront.banking.models import BankDocument, BankImport, DocumentState, ReviewReason
from storefront.banking.parser import StatementRejected
from storefront.banking.services import import_statement
from storefront.extensions import db
from storefront.order.models import Order, OrderStatusChange, PaymentStatus
from storefront.outbox import OutboxMessage
from storefront.payment.models import Payment
from storefront.settlement.checks import check_ledger
from storefront.settlement.models import LedgerTransaction, TransactionKind
from tests.storefront.banking.helpers import company_order, person_order, run_import, succeeded_payments
from tests.storefront.banking.statements import Doc, statement, statement_text

SAMPLES = Path(__file__).parent.parent.parent / "data" / "bank_statements"


def _world(session: Session) -> dict[str, Order]:
    orders = {
        "exact": company_order(session, "exact@example.ru"),
        "partial": company_order(session, "partial@example.ru"),
        "over": company_order(session, "over@example.ru"),
        "other_payer": company_order(session, "other@example.ru"),
        "person": person_order(session),
        "first": company_order(session, "first@example.ru"),
        "second": company_order(session, "second@example.ru"),
    }
    session.commit()
    return orders


def _docs(orders: dict[str, Order]) -> list[Doc]:
    total = orders["exact"].total_amount
    return [
        Doc("101", total, f"Оплата по счёту № {orders['exact'].number}. В т.ч. НДС 22%"),
        Doc("102", total - Decimal("1000.00"), f"Оплата заказа {orders['partial'].number}"),
        Doc("103", total + Decimal("0.01"), f"Оплата заказа {orders['over'].number}"),
        Doc("104", total, f"Оплата заказа {orders['other_payer'].number}", payer_inn="7801123455"),
        # A person's order has no INN: any payer may pay it; the number typed in Cyrillic, without dashes.
        Doc("105", "1000.00", f"за заказ МК {orders['person'].number[3:7]} {orders['person'].number[8:]}"),
        Doc("106", total * 2, f"Оплата {orders['first'].number}, {orders['second'].number}"),
        Doc("107", "5000.00", "Возврат займа по договору 17"),
        # Our own payment out: not to our account, skipped.
        Doc("108", "300.00", "Аренда", payer_account="40702810655000012345", payee_account="40702810000000000999"),
    ]


@pytest.mark.parametrize("encoding", ["cp1251", "utf-8"])
def test_a_statement_pays_exact_matches_and_queues_the_rest(app: Flask, session: Session, encoding: str) -> None:
    orders = _world(session)
    summary = run_import(app, session, statement(_docs(orders), encoding), filename="выписка.txt")

    assert (summary.documents, summary.matched, len(summary.review), summary.already, summary.skipped) == (
        8,
        2,
        5,
        0,
        1,
    )
    reasons = {item.number: item.reason for item in summary.review}
    assert reasons == {
        "102": ReviewReason.PARTIAL,
        "103": ReviewReason.OVERPAID,
        "104": ReviewReason.OTHER_PAYER,
        "106": ReviewReason.SEVERAL_ORDERS,
        "107": ReviewReason.NO_ORDER,
    }
    paid = {name for name, order in orders.items() if session.get(Order, order.id).payment_status == PaymentStatus.PAID}
    assert paid == {"exact", "person"}

    exact = session.get(Order, orders["exact"].id)
    payment = session.scalars(select(Payment).where(Payment.order_id == exact.id)).one()
    assert payment.description.startswith("Банковский перевод: п/п № 101 от 04.12.2026")
    assert payment.amount == exact.total_amount and payment.yookassa_payment_id is None
    step = session.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id == exact.id)).all()[-1]
    assert (step.to_status, step.reference) == ("paid", "п/п № 101 от 04.12.2026")
    document = session.scalars(select(BankDocument).where(BankDocument.number == "101")).one()
    assert (document.state, document.order_id, document.payment_id) == (DocumentState.MATCHED, exact.id, payment.id)
    # The ledger posted the capture and still reconciles; the buyer got the «paid» e-mail; reorder statistics
    # (an ``order_paid`` receiver) counted the order.
    capture = session.scalars(select(LedgerTransaction).where(LedgerTransaction.order_id == exact.id)).one()
    assert capture.kind == TransactionKind.CAPTURE
    assert check_ledger(session).holds
    assert session.scalar(select(func.count()).where(OutboxMessage.to_address == "exact@example.ru")) == 1
    assert session.get(BuyerStats, exact.buyer_id).order_count == 1
    # A partial payment names its order for staff; nothing was paid.
    partial = session.scalars(select(BankDocument).where(BankDocument.number == "102")).one()
    assert (partial.state, partial.order_id, partial.payment_id) == (DocumentState.REVIEW, orders["partial"].id, None)


def test_importing_the_same_statement_again_changes_nothing(app: Flask, session: Session) -> None:
    orders = _world(session)
    data = statement(_docs(orders))
    run_import(app, session, data)
    before = (
        session.scalar(select(func.count()).select_from(BankDocument)),
        session.scalar(select(func.count()).select_from(Payment)),
        session.scalar(select(func.count()).select_from(LedgerTransaction)),
        session.scalar(select(func.count()).select_from(OutboxMessage)),
    )
    again = run_import(app, session, statement(_docs(orders), "utf-8"))  # the same documents, the other encoding
    assert (again.matched, len(again.review), again.already, again.skipped) == (0, 0, 7, 1)
    after = (
        session.scalar(select(func.count()).select_from(BankDocument)),
        session.scalar(select(func.count()).select_from(Payment)),
        session.scalar(select(func.count()).select_from(LedgerTransaction)),
        session.scalar(select(func.count()).select_from(OutboxMessage)),
    )
    assert after == before
    assert session.scalar(select(BankImport.already).order_by(BankImport.id.desc()).limit(1)) == 7


def test_a_second_exact_payment_for_a_paid_order_waits_for_review(app: Flask, session: Session) -> None:
    order = company_order(session)
    session.commit()
    docs = [Doc(number, order.total_amount, f"Оплата {order.number}") for number in ("1", "2")]
    summary = run_import(app, session, statement(docs))
    assert summary.matched == 1
    assert [item.reason for item in summary.review] == [ReviewReason.NOT_PAYABLE]
    assert succeeded_payments(session, order.id) == 1


def test_a_malformed_statement_applies_nothing(app: Flask, session: Session) -> None:
    order = company_order(session)
    session.commit()
    good = Doc("1", order.total_amount, f"Оплата {order.number}")
    text = statement_text([good, Doc("2", "10.00", "x")]).replace("Сумма=10.00", "Сумма=10,00,00")
    with app.app_context(), pytest.raises(StatementRejected) as caught:
        import_statement(session, text.encode("cp1251"), our_account=app.config["SELLER_SETTLEMENT_ACCOUNT"])
    session.rollback()
    assert [(p.problem, p.field) for p in caught.value.problems] == [("bad_amount", "Сумма")]
    assert caught.value.problems[0].line == text.split("\r\n").index("Сумма=10,00,00") + 1
    assert session.scalar(select(func.count()).select_from(BankImport)) == 0
    assert session.scalar(select(func.count()).select_from(BankDocument)) == 0
    assert session.get(Order, order.id).payment_status == PaymentStatus.UNPAID


def test_a_real_sample_to_another_account_is_skipped_and_to_ours_reviewed(app: Flask, session: Session) -> None:
    data = (SAMPLES / "xini1_1c_exchange_cp1251.txt").read_bytes()
    assert run_import(app, session, data).skipped == 1
    app.config["SELLER_SETTLEMENT_ACCOUNT"] = "40702810123111111114"
    try:
        summary = run_import(app, session, data)
    finally:
        app.config["SELLER_SETTLEMENT_ACCOUNT"] = "40702810655000012345"
    assert [(item.number, item.amount, item.reason) for item in summary.review] == [
        ("105", Decimal("12354.00"), ReviewReason.NO_ORDER)
    ]


def test_concurrent_imports_of_one_file_pay_each_order_once(app: Flask, session: Session, engine_name: str) -> None:
    if engine_name != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race is PostgreSQL's")
    orders = [company_order(session, f"race{n}@example.ru") for n in range(5)]
    session.commit()
    data = statement([Doc(str(n), order.total_amount, f"Оплата {order.number}") for n, order in enumerate(orders)])
    with app.app_context():
        engine = db.engine
    barrier = threading.Barrier(4)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def importer() -> None:
        try:
            with app.app_context(), Session(engine) as own:
                barrier.wait()
                summary = import_statement(own, data, our_account=app.config["SELLER_SETTLEMENT_ACCOUNT"])
                own.commit()
                results.append((summary.matched, summary.already))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=importer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [(0, 5), (0, 5), (0, 5), (5, 0)]
    session.expire_all()
    for order in orders:
        assert succeeded_payments(session, order.id) == 1
        assert session.get(Order, order.id).payment_status == PaymentStatus.PAID
    assert session.scalar(select(func.count()).select_from(BankDocument)) == 5
    assert check_ledger(session).holds

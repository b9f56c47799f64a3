"""The settlement ledger against the YooKassa stand-in: pay → ship → deliver → confirm, refunds before and after
the confirmation, the policy on commission, idempotent postings, the invariant (``check_ledger``) and the
database's own guards (append-only, balanced at commit on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.moscow import to_moscow
from storefront.order.models import Order, OrderStatus
from storefront.order.services import TransitionNotAllowed, change_status, confirm_receipt
from storefront.payment.attempts import apply_payment_status, latest_attempt
from storefront.payment.cancel import refund_canceled_order
from storefront.payment.refunds import refund_order
from storefront.settlement.checks import check_ledger
from storefront.settlement.journal import Leg, Unbalanced, post, reverse
from storefront.settlement.models import Account, LedgerEntry, LedgerTransaction, TransactionKind
from storefront.settlement.postings import settle_order
from storefront.settlement.statements import supplier_statement
from tests.storefront.settlement.helpers import balance, confirm, count, deliver, pay, supplied_order, suppliers


@pytest.fixture
def gateway(pay_app):
    return pay_app.extensions["payment_gateway"]


@pytest.fixture
def paid(session: Session, pay_app, gateway, standin, control):
    """Two suppliers and an order paid through the stand-in (notifications off: the test applies states)."""
    standin.auto_notify = False
    first, second = suppliers(session)
    order = supplied_order(session, first, second)
    order = pay(session, gateway, control, pay_app.config["PUBLIC_BASE_URL"], order)
    return order, first, second


def _today() -> date:
    return to_moscow(utcnow()).date()


def test_the_whole_lifecycle_holds_the_money_then_pays_the_suppliers_and_the_platform(session, paid) -> None:
    order, first, second = paid
    assert order.total_amount == Decimal("10783.71")
    # Paid: all of it is held for the buyer, at the provider.
    assert balance(session, Account.PROVIDER) == 1_078_371
    assert balance(session, Account.HELD, order_id=order.id) == 1_078_371
    assert balance(session, Account.PAYABLE) == 0

    deliver(session, order)
    assert balance(session, Account.HELD, order_id=order.id) == 1_078_371  # shipping and delivery move no money
    confirm(session, order)

    # Goods 10 333,71 ₽ (total less shipping) spread over the lines by amount, largest remainder:
    # 5 722,80 + 2 385,29 + 2 225,62; commission 8 % / 12 % / 8 % of each, half up: 457,82 + 286,23 + 178,05.
    assert balance(session, Account.HELD, order_id=order.id) == 0
    assert balance(session, Account.PAYABLE, supplier_id=first.id) == 572_280 - 45_782 + 222_562 - 17_805
    assert balance(session, Account.PAYABLE, supplier_id=second.id) == 238_529 - 28_623
    assert balance(session, Account.COMMISSION) == 45_782 + 28_623 + 17_805
    assert balance(session, Account.SHIPPING) == 45_000
    assert check_ledger(session).holds

    statement = supplier_statement(session, first.id, _today(), _today())
    assert (statement.opening, statement.confirmed, statement.commission) == (0, 572_280 + 222_562, 45_782 + 17_805)
    assert (statement.refunds, statement.payouts, statement.closing) == (0, 0, 731_255)
    assert [line.order_number for line in statement.lines] == [order.number]


def test_a_refund_before_confirmation_returns_held_money_and_the_rest_is_confirmed(session, gateway, paid) -> None:
    order, first, second = paid
    refund_order(session, gateway, order, Decimal("1000.00"))
    session.expire_all()

    assert balance(session, Account.HELD, order_id=order.id) == 1_078_371 - 100_000
    assert balance(session, Account.PROVIDER) == 978_371
    assert count(session, TransactionKind.REFUND) == 1
    assert check_ledger(session).holds

    deliver(session, order)
    confirm(session, order)
    owed = balance(session, Account.PAYABLE)
    platform = balance(session, Account.COMMISSION) + balance(session, Account.SHIPPING)
    assert balance(session, Account.HELD, order_id=order.id) == 0
    assert owed + platform == 978_371
    assert check_ledger(session).holds


def test_a_refund_after_confirmation_reverses_the_payable_and_gives_the_commission_back(session, gateway, paid) -> None:
    order, first, second = paid
    deliver(session, order)
    confirm(session, order)
    refund_order(session, gateway, order, Decimal("2000.00"))
    refund_order(session, gateway, order, Decimal("0.01"))
    session.expire_all()
    assert check_ledger(session).holds
    owed = balance(session, Account.PAYABLE)
    assert owed + balance(session, Account.COMMISSION) + balance(session, Account.SHIPPING) == 1_078_371 - 200_001

    refund_order(session, gateway, order)  # the rest: everything goes back, commission too
    session.expire_all()
    for account in (Account.HELD, Account.PAYABLE, Account.COMMISSION, Account.SHIPPING):
        assert balance(session, account) == 0, account
    assert balance(session, Account.PROVIDER) == 0
    assert check_ledger(session).holds
    statement = supplier_statement(session, second.id, _today(), _today())
    assert statement.refunds == 238_529 - 28_623 and statement.closing == 0


def test_with_the_policy_off_the_platform_keeps_its_commission_on_a_late_refund(
    session, pay_app, gateway, paid
) -> None:
    order, first, second = paid
    deliver(session, order)
    confirm(session, order)
    pay_app.config["SETTLEMENT_REFUND_RETURNS_COMMISSION"] = False
    try:
        with pay_app.app_context():
            refund_order(session, gateway, order)
    finally:
        pay_app.config["SETTLEMENT_REFUND_RETURNS_COMMISSION"] = True
    session.expire_all()
    assert balance(session, Account.COMMISSION) == 92_210
    assert balance(session, Account.PAYABLE) == -92_210  # the suppliers bear it (owed back by them)
    assert check_ledger(session).holds


def test_a_canceled_paid_order_returns_everything_held(session, gateway, paid) -> None:
    order, *_ = paid
    change_status(session, order, OrderStatus.CANCELED, "buyer_asked")
    session.commit()
    refund_canceled_order(session, gateway, order)
    session.expire_all()
    assert balance(session, Account.HELD, order_id=order.id) == 0
    assert balance(session, Account.PROVIDER) == 0
    assert check_ledger(session).holds


def test_repeated_events_post_once(session, pay_app, gateway, standin, control, paid) -> None:
    order, *_ = paid
    # The same payment fetched and applied again, the order settled again: nothing more.
    attempt = latest_attempt(session, order.id)
    assert attempt is not None
    policy = pay_app.extensions["payment_policy"]
    apply_payment_status(session, gateway, gateway.get_payment(attempt.yookassa_payment_id), policy)
    assert settle_order(session, order.id, returns_commission=True) == []
    deliver(session, order)
    confirm(session, order)
    with pytest.raises(TransitionNotAllowed):
        confirm_receipt(session, order, order.buyer_id)
    session.rollback()
    assert settle_order(session, order.id, returns_commission=True) == []
    session.commit()
    assert (count(session, TransactionKind.CAPTURE), count(session, TransactionKind.CONFIRM)) == (1, 1)


def test_post_refuses_an_unbalanced_transaction_and_writes_nothing(session) -> None:
    with pytest.raises(Unbalanced):
        post(session, TransactionKind.REVERSAL, "x:1", [Leg(Account.PROVIDER, 100), Leg(Account.HELD, -99)])
    with pytest.raises(Unbalanced):
        post(session, TransactionKind.REVERSAL, "x:2", [Leg(Account.PROVIDER, 1.5), Leg(Account.HELD, -1.5)])  # type: ignore[arg-type]
    assert session.scalar(select(func.count(LedgerTransaction.id))) == 0


def test_a_posting_is_corrected_by_a_reversal_never_by_an_update(session, engine_name) -> None:
    made = post(session, TransactionKind.REVERSAL, "x:1", [Leg(Account.PROVIDER, 100), Leg(Account.HELD, -100)])
    assert made is not None
    assert post(session, TransactionKind.REVERSAL, "x:1", [Leg(Account.PROVIDER, 5), Leg(Account.HELD, -5)]) is None
    undone = reverse(session, made)
    assert undone is not None and reverse(session, made) is None
    session.commit()
    assert balance(session, Account.PROVIDER) == 0
    with pytest.raises(sa.exc.DatabaseError):
        session.execute(sa.text("UPDATE ledger_entries SET amount = amount * 2"))
    session.rollback()
    if engine_name == "postgresql":
        with pytest.raises(sa.exc.DatabaseError):
            session.execute(sa.text("DELETE FROM ledger_entries"))
        session.rollback()
    assert session.scalar(select(func.count(LedgerEntry.id))) == 4


@pytest.mark.postgres_only
def test_postgresql_refuses_an_unbalanced_transaction_at_commit(session) -> None:
    session.execute(
        sa.text(
            "INSERT INTO ledger_transactions (kind, reference, idempotence_key, created_at)"
            " VALUES ('reversal', '', 'raw', now())"
        )
    )
    session.execute(
        sa.text(
            "INSERT INTO ledger_entries (transaction_id, account, amount)"
            " SELECT id, 'provider_cash', 100 FROM ledger_transactions WHERE idempotence_key = 'raw'"
        )
    )
    with pytest.raises(sa.exc.DatabaseError, match="does not balance"):
        session.commit()
    session.rollback()
    assert session.scalar(select(func.count(LedgerTransaction.id))) == 0


@pytest.mark.postgres_only
def test_two_concurrent_confirmations_of_one_order_post_once(session, pay_app, paid) -> None:
    """Two buyers' sessions confirm at the same moment: one completes the order and posts, the other is refused;
    and two transactions settling the same order at once post the confirmation once."""
    order, *_ = paid
    deliver(session, order)
    order_id, engine = order.id, session.get_bind()  # the threads never touch the test's session
    barrier = threading.Barrier(2, timeout=60)
    outcomes: list[str] = []

    def confirm_in_own_session() -> None:
        with Session(engine) as own:
            try:
                mine = own.get(Order, order_id)
                assert mine is not None
                barrier.wait()
                confirm_receipt(own, mine, mine.buyer_id)
                own.commit()
                outcomes.append("confirmed")
            except TransitionNotAllowed:
                own.rollback()
                outcomes.append("refused")
            except Exception as error:  # shown by the assertion below
                outcomes.append(repr(error))

    threads = [threading.Thread(target=confirm_in_own_session) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["confirmed", "refused"], outcomes
    assert count(session, TransactionKind.CONFIRM) == 1

    # The posting's own guard: two transactions settle the order (confirm already posted → nothing), and two
    # posting one key at once make one transaction.
    barrier = threading.Barrier(2, timeout=60)
    made: list[object] = []

    def post_in_own_session() -> None:
        with Session(engine) as own:
            barrier.wait()
            legs = [Leg(Account.PROVIDER, 7), Leg(Account.HELD, -7)]
            made.append(post(own, TransactionKind.REVERSAL, "race:1", legs))
            own.commit()

    threads = [threading.Thread(target=post_in_own_session) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for item in made if item is not None) == 1
    assert count(session, TransactionKind.REVERSAL) == 1
    assert balance(session, Account.HELD, order_id=order_id) == 0
    assert check_ledger(session).holds

"""Cancelling an open payout batch: finance (and admin) give a reason, the batch shows cancelled with it on its page
and in the list, its payables are due again and go in a new batch, it is audited and posts nothing; a paid batch
cannot be cancelled (a Russian message, nothing changes); a cancel racing mark-paid on PostgreSQL: exactly one
wins."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.permissions import has_permission
from crm.staff.models import Role
from storefront.settlement.checks import check_ledger
from storefront.settlement.models import Account, PayoutBatch, PayoutStatus, TransactionKind
from storefront.settlement.payouts import PayoutRefused, cancel_batch, create_batch, dues, mark_paid
from tests.crm.settlement.test_settlement_pages import _audit, _csrf, _text
from tests.storefront.settlement.helpers import balance, count
from tests.support.factories import make_staff
from tests.support.web import crm_login


def _batch_through_the_page(session: Session, client: FlaskClient) -> PayoutBatch:
    page = _text(client, "/crm/settlement/payouts")
    created = client.post("/crm/settlement/payouts", data={"csrf_token": _csrf(page), "confirm": "y"})
    assert created.status_code == 302
    session.expire_all()
    batch = session.scalar(select(PayoutBatch).where(PayoutBatch.status == PayoutStatus.OPEN))
    assert batch is not None
    return batch


def test_finance_cancels_an_open_batch_with_a_reason_and_its_payables_are_due_again(
    session, finance, confirmed
) -> None:
    owed = balance(session, Account.PAYABLE)
    batch = _batch_through_the_page(session, finance)
    assert all(row.due == 0 for row in dues(session))  # all in the open batch
    html = _text(finance, f"/crm/settlement/payouts/{batch.id}")
    assert "Отменить реестр" in html

    blank = finance.post(f"/crm/settlement/payouts/{batch.id}/cancel", data={"csrf_token": _csrf(html)})
    assert blank.status_code == 400 and "Укажите, почему реестр отменяется." in blank.get_data(as_text=True)
    session.expire_all()
    assert session.get(PayoutBatch, batch.id).status == PayoutStatus.OPEN and not _audit(session, "payout_batch.cancel")

    reason = "Банк вернул платёжное поручение: неверные реквизиты"
    cancelled = finance.post(
        f"/crm/settlement/payouts/{batch.id}/cancel", data={"csrf_token": _csrf(html), "reason": f"  {reason} "}
    )
    assert cancelled.status_code == 302
    session.expire_all()
    batch = session.get(PayoutBatch, batch.id)
    assert batch.status == PayoutStatus.CANCELED and batch.cancel_reason == reason and batch.canceled_by is not None
    assert [detail for detail in _audit(session, "payout_batch.cancel") if reason in detail]
    # Nothing was posted: the payables are still owed, and due again.
    assert count(session, TransactionKind.PAYOUT) == 0 and balance(session, Account.PAYABLE) == owed
    assert sum(row.due for row in dues(session)) == owed
    assert check_ledger(session).holds

    page = _text(finance, f"/crm/settlement/payouts/{batch.id}")
    assert 'data-batch-status="canceled"' in page and reason in page and "Отменён" in page
    assert "Отметить оплаченным" not in page and "Отменить реестр" not in page
    listing = _text(finance, "/crm/settlement/payouts")
    assert 'data-batch-status="canceled"' in listing and "отменён" in listing and reason in listing

    # A second cancel (a double click) changes nothing; marking the cancelled batch paid is refused.
    again = finance.post(
        f"/crm/settlement/payouts/{batch.id}/cancel", data={"csrf_token": _csrf(html), "reason": "ещё раз"}
    )
    assert again.status_code == 409 and "Этот реестр отменён" in again.get_data(as_text=True)
    paid = finance.post(
        f"/crm/settlement/payouts/{batch.id}/paid", data={"csrf_token": _csrf(html), "bank_reference": "000418"}
    )
    assert paid.status_code == 302
    session.expire_all()
    assert session.get(PayoutBatch, batch.id).cancel_reason == reason
    assert count(session, TransactionKind.PAYOUT) == 0 and len(_audit(session, "payout_batch.cancel")) == 1

    # A new batch gathers the same payables and is paid as usual.
    fresh = _batch_through_the_page(session, finance)
    assert fresh.id != batch.id and fresh.total == owed
    mark_paid(session, fresh, "000419", None)
    session.commit()
    assert balance(session, Account.PAYABLE) == 0 and check_ledger(session).holds


def test_a_paid_batch_cannot_be_cancelled(session, pay_app: Flask, confirmed) -> None:
    admin = make_staff(session, Role.ADMIN)
    session.commit()
    client = pay_app.test_client()
    assert crm_login(client, admin.email).status_code == 302
    batch = _batch_through_the_page(session, client)
    mark_paid(session, batch, "000420", admin.id)
    session.commit()
    html = _text(client, f"/crm/settlement/payouts/{batch.id}")
    assert "Отменить реестр" not in html
    response = client.post(
        f"/crm/settlement/payouts/{batch.id}/cancel", data={"csrf_token": _csrf(html), "reason": "передумали"}
    )
    assert response.status_code == 409
    assert "Этот реестр уже отмечен оплаченным; ничего не изменено." in response.get_data(as_text=True)
    session.expire_all()
    batch = session.get(PayoutBatch, batch.id)
    assert batch.status == PayoutStatus.PAID and batch.cancel_reason is None and batch.canceled_at is None
    assert not _audit(session, "payout_batch.cancel")
    assert count(session, TransactionKind.PAYOUT) == 1 and check_ledger(session).holds


def test_the_cancel_route_is_for_finance_and_admin_only(session, pay_app: Flask, confirmed) -> None:
    batch = create_batch(session, None)
    session.commit()
    rule = next(rule for rule in pay_app.url_map.iter_rules() if rule.endpoint == "crm.settlement.payout_cancel")
    assert pay_app.view_functions[rule.endpoint].crm_permission == "payouts.edit"  # in the route × role walk
    for role in Role:
        allowed = has_permission(role, "payouts.edit")
        assert allowed == (role in (Role.ADMIN, Role.FINANCE)), role
        if allowed:
            continue
        staff = make_staff(session, role)
        session.commit()
        client = pay_app.test_client()
        assert crm_login(client, staff.email).status_code == 302
        pay_app.config["WTF_CSRF_ENABLED"] = False
        try:
            response = client.post(f"/crm/settlement/payouts/{batch.id}/cancel", data={"reason": "не моё"})
        finally:
            pay_app.config["WTF_CSRF_ENABLED"] = True
        assert response.status_code == 403, role
    session.expire_all()
    assert session.get(PayoutBatch, batch.id).status == PayoutStatus.OPEN


def test_cancel_refuses_a_blank_or_long_reason_and_changes_nothing(session, confirmed) -> None:
    batch = create_batch(session, None)
    session.commit()
    for reason in ("   ", "я" * 201):
        with pytest.raises(PayoutRefused) as refused:
            cancel_batch(session, batch, reason, None)
        assert refused.value.reason == "no_reason"
        session.rollback()
    assert session.get(PayoutBatch, batch.id).status == PayoutStatus.OPEN


@pytest.mark.postgres_only
def test_cancel_racing_mark_paid_exactly_one_wins(session, confirmed) -> None:
    batch = create_batch(session, None)
    session.commit()
    batch_id, engine = batch.id, session.get_bind()  # read in the main thread; the threads never touch the session
    barrier = threading.Barrier(2, timeout=60)
    outcomes: dict[str, str] = {}

    def act(name: str) -> None:
        with Session(engine) as own:
            try:
                mine = own.get(PayoutBatch, batch_id)
                assert mine is not None
                barrier.wait()
                if name == "cancel":
                    cancel_batch(own, mine, "Банк не принял реестр", None)
                else:
                    mark_paid(own, mine, "000421", None)
                own.commit()
                outcomes[name] = "won"
            except PayoutRefused as refused:
                own.rollback()
                outcomes[name] = refused.reason
            except Exception as error:  # shown by the assertion below
                outcomes[name] = repr(error)

    threads = [threading.Thread(target=act, args=(name,)) for name in ("cancel", "paid")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    session.expire_all()
    final = session.get(PayoutBatch, batch_id)
    assert list(outcomes.values()).count("won") == 1, outcomes
    if outcomes["cancel"] == "won":
        assert outcomes["paid"] == "already_canceled", outcomes
        assert final.status == PayoutStatus.CANCELED and count(session, TransactionKind.PAYOUT) == 0
    else:
        assert outcomes["cancel"] == "already_paid", outcomes
        assert final.status == PayoutStatus.PAID and final.cancel_reason is None
        assert count(session, TransactionKind.PAYOUT) == 1
    assert check_ledger(session).holds

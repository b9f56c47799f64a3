"""Finance in the CRM: an order paid through the YooKassa stand-in and confirmed shows on the supplier's statement
(page and CSV, audited); a payout batch is created and marked paid with the bank reference once however often it is
submitted; the ledger still reconciles."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.staff.models import Role
from storefront.settlement.checks import check_ledger
from storefront.settlement.models import Account, PayoutBatch, PayoutStatus, TransactionKind
from tests.storefront.settlement.helpers import balance, count
from tests.support.factories import make_staff
from tests.support.web import CSRF_RE, crm_login


def _text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


def _csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match
    return match.group(1)


def _audit(session: Session, action: str) -> list[str]:
    return list(session.scalars(select(AuditEntry.detail).where(AuditEntry.action == action)))


def test_the_statement_shows_the_confirmed_order_and_its_csv_is_audited(session, finance, confirmed) -> None:
    order, first, _second = confirmed
    owed = balance(session, Account.PAYABLE, supplier_id=first.id)
    html = _text(finance, f"/crm/settlement/suppliers/{first.id}")
    assert order.number in html and "Заказ подтверждён" in html and "Возврат" in html
    # Goods 5 722,80 + 2 225,62 confirmed, commission 457,82 + 178,05 (8 %); a part of the 100 ₽ refund comes back.
    assert re.search(r'data-figure="confirmed">7 948,42 ₽', html)
    assert re.search(r'data-figure="commission">−635,87 ₽', html)
    closing = f"{owed // 100:,}".replace(",", " ") + f",{owed % 100:02d} ₽"
    assert f'data-figure="closing"><strong>{closing}</strong>' in html

    response = finance.get(f"/crm/settlement/suppliers/{first.id}/statement.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    csv = response.get_data(as_text=True)
    assert csv.startswith("\ufeff") and order.number in csv and "Остаток на конец периода" in csv
    assert _audit(session, "statement.export") and first.name in _audit(session, "statement.export")[0]

    assert finance.get(f"/crm/settlement/suppliers/{first.id}?date_from=2026-13-01").status_code == 400
    assert finance.get("/crm/settlement/suppliers/999999").status_code == 404


def test_a_payout_batch_is_created_and_marked_paid_once(session, finance, confirmed) -> None:
    _order, first, second = confirmed
    owed = balance(session, Account.PAYABLE)
    page = _text(finance, "/crm/settlement/payouts")
    assert first.name in page and second.name in page

    refused = finance.post("/crm/settlement/payouts", data={"csrf_token": _csrf(page)})
    assert refused.status_code == 400  # the box not ticked: nothing made
    created = finance.post("/crm/settlement/payouts", data={"csrf_token": _csrf(page), "confirm": "y"})
    assert created.status_code == 302
    again = finance.post("/crm/settlement/payouts", data={"csrf_token": _csrf(page), "confirm": "y"})
    assert again.status_code == 302 and again.location == created.location  # the open batch, not a second one
    batch = session.scalar(select(PayoutBatch))
    assert batch is not None and batch.total == owed and len(batch.lines) == 2
    assert session.scalar(select(func.count(PayoutBatch.id))) == 1

    html = _text(finance, created.location)
    blank = finance.post(f"/crm/settlement/payouts/{batch.id}/paid", data={"csrf_token": _csrf(html)})
    assert blank.status_code == 400 and "Укажите номер платёжного поручения." in blank.get_data(as_text=True)
    for _ in range(2):  # a double click
        paid = finance.post(
            f"/crm/settlement/payouts/{batch.id}/paid", data={"csrf_token": _csrf(html), "bank_reference": " 000417 "}
        )
        assert paid.status_code == 302
    session.expire_all()
    batch = session.get(PayoutBatch, batch.id)
    assert batch.status == PayoutStatus.PAID and batch.bank_reference == "000417"
    assert count(session, TransactionKind.PAYOUT) == 1
    assert balance(session, Account.PAYABLE) == 0
    assert balance(session, Account.PAID_OUT) == owed  # credited: the money left the bank
    assert len(_audit(session, "payout_batch.create")) == 1 and len(_audit(session, "payout_batch.paid")) == 1
    assert "уже отмечен оплаченным" in _text(finance, created.location)
    statement = _text(finance, f"/crm/settlement/suppliers/{second.id}")
    assert "Выплата" in statement and "000417" in statement
    assert 'data-figure="closing"><strong>0,00 ₽</strong>' in statement
    assert check_ledger(session).holds


def test_finance_sees_no_marketing_and_others_see_no_settlement(session, pay_app, finance) -> None:
    assert finance.get("/crm/campaigns/").status_code == 403
    assert finance.get("/crm/settlement/").status_code == 200
    make_staff(session, Role.MARKETER)
    session.commit()
    marketer = pay_app.test_client()
    crm_login(marketer, "marketer@mostik.local")
    assert marketer.get("/crm/settlement/").status_code == 403

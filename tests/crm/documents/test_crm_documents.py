"""The CRM's closing documents: the УПД from the order page and the buyer card, the акт сверки from the card; each
route × each role, the manager's scope, bad periods."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from crm.buyers.services import assign_managers
from crm.staff.models import Role
from storefront.documents.upd import upd_for_order
from storefront.i18n import format_rub
from storefront.order.models import OrderStatus
from storefront.order.services import change_status
from tests.storefront.documents.closing import company_order, deliver, pay, pdf_text, plain
from tests.support.factories import create_buyer, make_staff
from tests.support.web import crm_login

DEC_6 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

#: route → roles that open it (anonymous goes to the sign-in page).
ROUTES = {
    "/crm/documents/upd/{upd}": {Role.ADMIN, Role.ACCOUNT_MANAGER, Role.OPERATOR, Role.FINANCE},
    "/crm/documents/upd/{upd}.pdf": {Role.ADMIN, Role.ACCOUNT_MANAGER, Role.OPERATOR, Role.FINANCE},
    "/crm/documents/reconciliation/{buyer}": {Role.ADMIN, Role.ACCOUNT_MANAGER, Role.FINANCE},
    "/crm/documents/reconciliation/{buyer}.pdf": {Role.ADMIN, Role.ACCOUNT_MANAGER, Role.FINANCE},
}


def _delivered_company_order(session: Session):
    buyer = create_buyer(session, company=True)
    order = company_order(session, buyer_id=buyer.id)
    deliver(session, order, DEC_6)
    session.commit()
    upd = upd_for_order(session, order.id)
    assert upd is not None
    return buyer, order, upd


@pytest.mark.parametrize("role", [None, *Role], ids=lambda role: role or "anonymous")
def test_each_route_for_each_role(app: Flask, session: Session, role: Role | None) -> None:
    buyer, order, upd = _delivered_company_order(session)
    client = app.test_client()
    if role is not None:
        staff = make_staff(session, role)
        session.commit()
        if role == Role.ACCOUNT_MANAGER:
            assign_managers(session, [buyer.id], staff.id)
            session.commit()
        crm_login(client, f"{role}@mostik.local")
    for template, roles in ROUTES.items():
        url = template.format(upd=upd.id, buyer=buyer.id)
        response = client.get(url)
        if role is None:
            assert response.status_code == 302 and response.location.startswith("/crm/login"), url
        else:
            assert response.status_code == (200 if role in roles else 403), (url, role)
    if role in (Role.ADMIN, Role.FINANCE):
        card = client.get(f"/crm/buyers/{buyer.id}")
        assert f"/crm/documents/upd/{upd.id}" in card.text and f"/crm/documents/reconciliation/{buyer.id}" in card.text
        page = client.get(f"/crm/orders/{order.number}")
        assert f"/crm/documents/upd/{upd.id}" in page.text


def test_a_manager_reconciles_only_their_own_buyers(app: Flask, session: Session) -> None:
    buyer, _order, upd = _delivered_company_order(session)
    other = make_staff(session, Role.ACCOUNT_MANAGER, email="other@mostik.local")
    make_staff(session, Role.ACCOUNT_MANAGER)
    session.commit()
    assign_managers(session, [buyer.id], other.id)
    session.commit()
    client = app.test_client()
    crm_login(client, "account_manager@mostik.local")
    assert client.get(f"/crm/documents/reconciliation/{buyer.id}").status_code == 403
    assert client.get(f"/crm/documents/reconciliation/{buyer.id}.pdf").status_code == 403
    assert client.get(f"/crm/documents/upd/{upd.id}").status_code == 200  # orders are open to every manager
    assert f"/crm/documents/reconciliation/{buyer.id}" not in client.get(f"/crm/buyers/{buyer.id}").text


def test_unknown_documents_are_404(app: Flask, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    client = app.test_client()
    crm_login(client, "admin@mostik.local")
    assert client.get("/crm/documents/upd/999").status_code == 404
    assert client.get("/crm/documents/reconciliation/999").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01", "Введите дату"),
        ("date_from=2026-12-10&date_to=2026-12-01", "Период должен заканчиваться"),
        ("date_to=1000-01-01", "Выберите дату"),
    ],
)
def test_a_bad_period_is_a_400_in_russian(app: Flask, session: Session, query: str, message: str) -> None:
    buyer, _order, _upd = _delivered_company_order(session)
    make_staff(session, Role.FINANCE)
    session.commit()
    client = app.test_client()
    crm_login(client, "finance@mostik.local")
    page = client.get(f"/crm/documents/reconciliation/{buyer.id}?{query}")
    assert page.status_code == 400
    assert message in page.text
    assert client.get(f"/crm/documents/reconciliation/{buyer.id}.pdf?{query}").status_code == 400


def test_the_reconciliation_page_and_pdf_say_who_owes_whom(app: Flask, session: Session) -> None:
    buyer, order, upd = _delivered_company_order(session)
    prepaid = company_order(session, buyer_id=buyer.id, discount=Decimal("0.00"))
    pay(session, prepaid, datetime(2026, 12, 10, 9, 0, tzinfo=UTC), "PP-77")
    change_status(session, prepaid, OrderStatus.CONFIRMED, now=datetime(2026, 12, 10, 10, 0, tzinfo=UTC))
    session.commit()
    make_staff(session, Role.FINANCE)
    session.commit()
    client = app.test_client()
    crm_login(client, "finance@mostik.local")
    query = "date_from=2026-12-01&date_to=2026-12-31"
    page = client.get(f"/crm/documents/reconciliation/{buyer.id}?{query}")
    assert page.status_code == 200
    owed = plain(format_rub(prepaid.total_amount))
    text = plain(page.text)
    assert "Акт сверки взаимных расчётов" in text
    assert f"ООО «Мостик» должен ООО «Ромашка» {owed}" in text.replace("&#34;", '"').replace("&laquo;", "«")
    pdf = client.get(f"/crm/documents/reconciliation/{buyer.id}.pdf?{query}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    flat = " ".join(pdf_text(pdf.data).split())
    for needle in ("Остаток на начало периода", "Обороты за период", "PP-1042", "PP-77", order.number, owed):
        assert needle in flat, needle
    assert f"УПД № {upd.number}" in flat

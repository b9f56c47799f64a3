"""The audit page speaks Russian: actions, targets and coded details by their labels, the action filter by label."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.staff.models import Role
from tests.support.factories import create_buyer, make_staff
from tests.support.web import crm_login


def _entries(session: Session) -> None:
    admin = make_staff(session, Role.ADMIN, email="olga@mostik.local")
    buyer = create_buyer(session)
    record(session, admin, AuditAction.ORDER_REFUND, "order", "MK-2026-000001", "127.0.0.1", "1 999,90 ₽")
    record(session, admin, AuditAction.BUYER_VIEW, "buyer", buyer.id, "127.0.0.1", "full")
    session.commit()


def test_the_audit_page_shows_words_not_codes(client: FlaskClient, session: Session) -> None:
    _entries(session)
    crm_login(client, "olga@mostik.local")
    html = client.get("/crm/audit/").get_data(as_text=True)
    table = html[html.index("<table") :]
    assert "Возврат по заказу" in table and "Просмотр карточки покупателя" in table
    assert "заказ MK-2026-000001" in table and "полная карточка" in table
    assert "order.refund" not in table and "buyer.view" not in table and ">full<" not in table
    assert '<option value="order.refund">Возврат по заказу</option>' in html


def test_the_action_filter_takes_a_declared_action_and_refuses_others(client: FlaskClient, session: Session) -> None:
    _entries(session)
    crm_login(client, "olga@mostik.local")
    only_refunds = client.get("/crm/audit/?action=order.refund").get_data(as_text=True)
    assert "Возврат по заказу" in only_refunds and "полная карточка" not in only_refunds
    everything = client.get("/crm/audit/?action=&staff_email=olga@mostik.local")
    assert everything.status_code == 200 and "полная карточка" in everything.get_data(as_text=True)
    refused = client.get("/crm/audit/?action=drop.tables")
    assert refused.status_code == 400

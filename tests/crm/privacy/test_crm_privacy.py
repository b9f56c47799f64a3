"""A buyer's data from the CRM card (admins only, audited, with a reason for erasure) and the legal pages'
editor (every publish a new version, the old ones stay online)."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.actions import AuditAction
from crm.audit.models import AuditEntry
from crm.staff.models import Role
from storefront.account.models import Buyer
from storefront.legal.models import LegalDocument
from storefront.order.models import Order, OrderStatus
from storefront.privacy.models import DataRequest, RequestKind
from tests.storefront.privacy.test_export_and_erasure import traces
from tests.support import privacy_world
from tests.support.factories import make_staff
from tests.support.privacy_world import ERASE_EMAIL, KEEP_EMAIL
from tests.support.web import crm_csrf, crm_login


def _audit(session: Session, action: AuditAction) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action.value)))


def test_an_admin_exports_a_buyers_data_and_it_is_audited(app: Flask, session: Session) -> None:
    world = privacy_world.build(session)
    client = app.test_client()
    assert crm_login(client, world.admin_email).status_code == 302
    response = client.get(f"/crm/buyers/{world.erase_id}/data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.get_data(as_text=True))
    assert document["account"]["email"] == ERASE_EMAIL
    assert KEEP_EMAIL not in response.get_data(as_text=True)
    [entry] = _audit(session, AuditAction.BUYER_DATA_EXPORT)
    assert (entry.staff_email, entry.target_id) == (world.admin_email, str(world.erase_id))
    [logged] = session.scalars(select(DataRequest)).all()
    assert (logged.kind, logged.buyer_id, logged.staff_id) == (RequestKind.EXPORT, world.erase_id, entry.staff_id)
    assert client.get("/crm/buyers/999999/data.json").status_code == 404


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.MARKETER, Role.OPERATOR])
def test_other_roles_can_neither_export_nor_erase(app: Flask, session: Session, role: Role) -> None:
    world = privacy_world.build(session)
    make_staff(session, role)
    session.commit()
    client = app.test_client()
    crm_login(client, f"{role}@mostik.local")
    assert client.get(f"/crm/buyers/{world.erase_id}/data.json").status_code == 403
    token = crm_csrf(client, "/crm/")
    erase = client.post(
        f"/crm/buyers/{world.erase_id}/erase", data={"csrf_token": token, "reason": "просьба", "confirm": "y"}
    )
    assert erase.status_code == 403
    session.expire_all()
    assert session.get(Buyer, world.erase_id).erased_at is None
    assert session.scalar(select(func.count()).select_from(DataRequest)) == 0


def test_an_admin_erases_with_a_reason_once(app: Flask, session: Session) -> None:
    world = privacy_world.build(session)
    client = app.test_client()
    crm_login(client, world.admin_email)
    token = crm_csrf(client, "/crm/")
    url = f"/crm/buyers/{world.erase_id}/erase"
    no_reason = client.post(url, data={"csrf_token": token, "confirm": "y"})
    assert no_reason.status_code == 400 and "основании" in no_reason.get_data(as_text=True)
    order = session.scalars(select(Order).where(Order.number == world.erase_order)).one()
    order.status = OrderStatus.PACKED
    session.commit()
    refused = client.post(url, data={"csrf_token": token, "reason": "Письмо от 06.12.2026", "confirm": "y"})
    assert refused.status_code == 409 and world.erase_order in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Buyer, world.erase_id).erased_at is None and _audit(session, AuditAction.BUYER_ERASE) == []
    order.status = OrderStatus.COMPLETED
    session.commit()

    done = client.post(url, data={"csrf_token": token, "reason": "Письмо от 06.12.2026", "confirm": "y"})
    assert done.status_code == 303
    again = client.post(url, data={"csrf_token": token, "reason": "Ещё раз", "confirm": "y"})
    assert again.status_code == 303
    session.expire_all()
    assert traces(session) == []
    [entry] = _audit(session, AuditAction.BUYER_ERASE)
    assert entry.detail == "Письмо от 06.12.2026" and entry.staff_email == world.admin_email
    [logged] = session.scalars(select(DataRequest)).all()
    assert (logged.kind, logged.reason) == (RequestKind.ERASURE, "Письмо от 06.12.2026")
    card = client.get(f"/crm/buyers/{world.erase_id}").get_data(as_text=True)
    assert "Удалены" in card and "Удалить персональные данные" not in card
    assert (
        session.scalars(select(Order.total_amount).where(Order.number == world.erase_order)).one() == world.erase_total
    )


def test_legal_pages_are_published_as_versions(app: Flask, session: Session, client) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    assert client.get("/legal/privacy").status_code == 404  # nothing published yet
    staff = app.test_client()
    crm_login(staff, "admin@mostik.local")
    form = staff.get("/crm/legal/privacy").get_data(as_text=True)
    assert app.config["SELLER_INN"] in form and "152-ФЗ" in form  # the built-in text with our details
    token = crm_csrf(staff, "/crm/")
    body = "## 1. Общие положения\nПервая редакция.\n\nОператор: <script>alert(1)</script>"
    first = staff.post("/crm/legal/privacy", data={"csrf_token": token, "title": "Политика", "body": body})
    assert first.status_code == 303
    same = staff.post("/crm/legal/privacy", data={"csrf_token": token, "title": "Политика", "body": body})
    assert same.status_code == 400 and "ничего не изменилось" in same.get_data(as_text=True)
    empty = staff.post("/crm/legal/privacy", data={"csrf_token": token, "title": "Политика", "body": ""})
    assert empty.status_code == 400
    second = staff.post("/crm/legal/privacy", data={"csrf_token": token, "title": "Политика", "body": "Вторая."})
    assert second.status_code == 303
    assert [d.version for d in session.scalars(select(LegalDocument).order_by(LegalDocument.id))] == [1, 2]
    assert len(_audit(session, AuditAction.LEGAL_PUBLISH)) == 2

    current = client.get("/legal/privacy").get_data(as_text=True)
    assert "Вторая." in current and "Редакция 2" in current
    old = client.get("/legal/privacy/v/1")
    html = old.get_data(as_text=True)
    assert old.status_code == 200 and "Это прежняя редакция" in html and "<h2>1. Общие положения</h2>" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert client.get("/legal/privacy/v/9").status_code == 404
    assert client.get("/legal/terms").status_code == 404
    assert staff.get("/crm/legal/terms").status_code == 404

"""A segment's buyers as CSV (issue 18): Russian Excel format with formula-safe cells, audited; a marketer gets
no contacts, an admin gets e-mail and phone, an account manager may not export segments at all."""

from __future__ import annotations

import csv
import io

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.segments.models import Segment
from storefront.account.models import Address
from tests.support import factories
from tests.support.factories import make_staff
from tests.support.web import crm_login


def _world(session: Session) -> Segment:
    anna = factories.create_recipient(session, "anna@example.ru", "Анна Смирнова", phone="+79215551234")
    session.add(Address(buyer_id=anna.id, region_code="78", city="Санкт-Петербург", postcode="190000",
                        street="Невский, 1", recipient="Анна", phone="+79215551234"))  # fmt: skip
    factories.create_recipient(session, "evil@example.ru", '=HYPERLINK("http://evil")', company_name="@SUM(1)")
    segment = Segment(
        name="Петербург и все",
        definition={"op": "and", "conditions": [{"field": "marketing_consent", "operator": "eq", "value": True}]},
    )
    session.add(segment)
    session.commit()
    return segment


def _rows(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_a_marketer_exports_a_segment_without_contacts_and_it_is_audited(session: Session, client: FlaskClient) -> None:
    segment = _world(session)
    make_staff(session, "marketer")
    session.commit()
    assert crm_login(client, "marketer@mostik.local").status_code == 302
    assert f"/crm/segments/{segment.id}/export.csv" in client.get("/crm/segments/").get_data(as_text=True)
    response = client.get(f"/crm/segments/{segment.id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _rows(response.data)
    assert rows[0] == ["№ покупателя", "Название", "Тип", "Регион", "Город", "Уровень"]
    assert rows[1][1:5] == ["Анна Смирнова", "Частное лицо", "Санкт-Петербург", "Санкт-Петербург"]
    assert rows[2][1] == "'@SUM(1)"  # formula-safe
    body = response.data.decode()
    assert "anna@example.ru" not in body and "+7921" not in body
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "segments.export")).one()
    assert entry.target_id == str(segment.id) and "no contacts" in (entry.detail or "")


def test_an_admin_gets_contacts_and_a_manager_no_export(session: Session, client: FlaskClient) -> None:
    segment = _world(session)
    make_staff(session, "admin")
    make_staff(session, "account_manager")
    session.commit()
    assert crm_login(client, "admin@mostik.local").status_code == 302
    rows = _rows(client.get(f"/crm/segments/{segment.id}/export.csv").data)
    assert rows[0][-2:] == ["Эл. почта", "Телефон"]
    assert rows[1][-2:] == ["anna@example.ru", "'+79215551234"]  # «+» would start a formula
    client.get("/crm/logout")
    manager = FlaskClient(client.application, use_cookies=True)
    assert crm_login(manager, "account_manager@mostik.local").status_code == 302
    assert manager.get(f"/crm/segments/{segment.id}/export.csv").status_code == 403
    assert manager.get("/crm/segments/999999/export.csv").status_code in (403, 404)

"""The segment pages over HTTP: live count and preview JSON, save and delete (audited), bad input → 400."""

from __future__ import annotations

import json
import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.segments.models import Segment
from crm.tiers.services import seed_tiers
from storefront.account.models import Address, Buyer, Tier
from tests.support.factories import create_buyer, make_staff, paid_order
from tests.support.web import crm_csrf, crm_login

TWO_CONDITIONS = {
    "op": "and",
    "conditions": [
        {"field": "spend_12m", "operator": "gte", "value": "100000"},
        {
            "op": "or",
            "conditions": [
                {"field": "city", "operator": "eq", "value": "Санкт-Петербург"},
                {"field": "tier", "operator": "in", "value": ["gold"]},
            ],
        },
    ],
}


def _world(session: Session) -> None:
    seed_tiers(session)
    gold = session.scalar(select(Tier.id).where(Tier.code == "gold"))
    spb = create_buyer(session, email="spb@example.ru", name="Анна Смирнова", phone="+79110000001")
    session.add(
        Address(
            buyer_id=spb.id,
            region_code="78",
            city="Санкт-Петербург",
            postcode="191186",
            street="Невский, 1",
            recipient="Анна",
            phone="+79110000001",
        )
    )
    vip = create_buyer(session, email="vip@example.ru", name="Олег Золотов", phone="+79110000002", tier_id=gold)
    small = create_buyer(session, email="small@example.ru", name="Пётр Малый", phone="+79110000003")
    session.add(
        Address(
            buyer_id=small.id,
            region_code="78",
            city="Санкт-Петербург",
            postcode="191186",
            street="Невский, 2",
            recipient="Пётр",
            phone="+79110000003",
        )
    )
    session.commit()
    paid_order(session, spb.id, "150000.00")
    paid_order(session, vip.id, "500000.00")
    paid_order(session, small.id, "5000.00")


def _marketer(client: FlaskClient, session: Session) -> str:
    make_staff(session, "marketer")
    session.commit()
    assert crm_login(client, "marketer@mostik.local").status_code == 302
    return crm_csrf(client, "/crm/segments/new")


def _preview(client: FlaskClient, token: str, body: str | bytes):
    return client.post(
        "/crm/segments/preview", data=body, headers={"X-CSRFToken": token, "Content-Type": "application/json"}
    )


def test_preview_counts_and_shows_names_cities_tiers_but_no_contacts(client: FlaskClient, session: Session) -> None:
    _world(session)
    token = _marketer(client, session)
    response = _preview(client, token, json.dumps(TWO_CONDITIONS))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["count"] == 2
    assert body["buyers"] == [
        {"name": "Анна Смирнова", "city": "Санкт-Петербург", "tier": None},
        {"name": "Олег Золотов", "city": None, "tier": "Золото"},
    ]
    raw = response.get_data(as_text=True)
    assert "+7911" not in raw and "@example.ru" not in raw


def test_preview_refuses_bad_json_and_bad_definitions_with_400(client: FlaskClient, session: Session) -> None:
    token = _marketer(client, session)
    for body, message in (
        ("{not json", "не корректный JSON"),
        ("", "условия не заданы"),
        (
            json.dumps({"op": "and", "conditions": [{"field": "spend_12m", "operator": "contains", "value": 1}]}),
            "условие 1: поле «сумма за 12 месяцев» не поддерживает оператор «содержит»",
        ),
        (b"\xff\xfe", "JSON"),
        ("[" * 19_000 + "]" * 19, "слишком глубоко"),  # json.loads recursed until RecursionError: a 500
        ('{"op": "and", "conditions": ' + "[" * 5000 + "]" * 5000 + "}", "слишком глубоко"),
        ("[" * 30_000, "слишком много данных"),
        *(
            (
                json.dumps({"op": "and", "conditions": [{"field": "spend_12m", "operator": op, "value": 1}]}),
                "условие 1: «оператор» должен быть названием оператора",
            )
            for op in (["gte"], {"gte": 1}, None, 5)  # a list or a dict raised TypeError: a 500
        ),
    ):
        response = _preview(client, token, body)
        assert response.status_code == 400, body
        assert message in response.get_json()["error"]


def test_preview_needs_the_csrf_token(client: FlaskClient, session: Session) -> None:
    _marketer(client, session)
    response = client.post(
        "/crm/segments/preview", data=json.dumps(TWO_CONDITIONS), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_save_lists_with_live_count_then_edit_and_delete_are_audited(client: FlaskClient, session: Session) -> None:
    _world(session)
    token = _marketer(client, session)
    response = client.post(
        "/crm/segments/new",
        data={"csrf_token": token, "name": "Петербург и золото", "definition": json.dumps(TWO_CONDITIONS)},
    )
    assert response.status_code == 302
    segment = session.scalars(select(Segment)).one()
    assert segment.definition == TWO_CONDITIONS and segment.created_by.email == "marketer@mostik.local"
    listing = client.get("/crm/segments/").get_data(as_text=True)
    assert "Петербург и золото" in listing and "2 покупателя" in listing

    page = client.get(f"/crm/segments/{segment.id}").get_data(as_text=True)
    assert "segment-builder" in page and "Санкт-Петербург" in page
    changed = {"op": "and", "conditions": [{"field": "spend_12m", "operator": "gte", "value": "1000"}]}
    response = client.post(
        f"/crm/segments/{segment.id}",
        data={"csrf_token": token, "name": "Все покупавшие", "definition": json.dumps(changed)},
    )
    assert response.status_code == 302
    assert "3 покупателя" in client.get("/crm/segments/").get_data(as_text=True)

    refused = client.post(f"/crm/segments/{segment.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 400
    assert (
        client.post(f"/crm/segments/{segment.id}/delete", data={"csrf_token": token, "confirm": "y"}).status_code == 302
    )
    session.expire_all()
    assert session.scalar(select(func.count(Segment.id))) == 0
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["segments.create", "segments.update", "segments.delete"]


def test_save_refuses_a_bad_definition_and_changes_nothing(client: FlaskClient, session: Session) -> None:
    token = _marketer(client, session)
    for definition in (
        "{oops",
        json.dumps({"op": "and", "conditions": [{"field": "shoe_size", "operator": "eq", "value": 1}]}),
    ):
        response = client.post(
            "/crm/segments/new", data={"csrf_token": token, "name": "Плохой", "definition": definition}
        )
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert re.search(r"не корректный JSON|неизвестное поле «shoe_size»", html)
    assert (
        client.post("/crm/segments/new", data={"csrf_token": token, "name": "", "definition": "{}"}).status_code == 400
    )
    assert client.get("/crm/segments/999999").status_code == 404
    assert session.scalar(select(func.count(Segment.id))) == 0
    assert session.scalar(select(func.count(AuditEntry.id))) == 0


def test_an_account_manager_cannot_preview(client: FlaskClient, session: Session) -> None:
    make_staff(session, "account_manager")
    session.commit()
    crm_login(client, "account_manager@mostik.local")
    token = crm_csrf(client, "/crm/")
    assert _preview(client, token, json.dumps(TWO_CONDITIONS)).status_code == 403
    assert session.scalar(select(func.count(Buyer.id))) == 0

"""«Повторные заказы» as a place to work (issue 18): three tabs (due, at risk, lapsed with nothing paid in 12
months, sorted by value at risk), pages, and on every row a task, a note and (admins) an assignment that come back
to the same list page at the row; the «Подготовить повторный заказ» hook links to the card."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from crm.buyers.services import assign_managers
from crm.reorder import queries
from crm.reorder.models import BuyerStats
from crm.reorder.queries import reorder_tab, value_at_risk
from crm.staff.models import Role
from crm.workspace.models import Note, Task
from tests.support.factories import create_buyer, days_ago, make_staff, paid_order
from tests.support.web import crm_csrf, crm_login


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert crm_login(client, email).status_code == 302
    return client


def _world(session: Session) -> dict[str, int]:
    """A manager's four buyers: due soon, overdue but buying this year, two lapsed with nothing in 12 months."""
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="anna@mostik.local")
    other = make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    make_staff(session, Role.ADMIN)
    session.commit()
    ids = {"manager": manager.id, "other": other.id}
    plan = {
        "due": [("50000.00", 110), ("50000.00", 50)],  # every 60 days, next in 10
        "risk": [("90000.00", 70), ("90000.00", 40)],  # every 30 days, 10 days late
        "small_lapsed": [("50000.00", 500), ("50000.00", 420)],  # every 80 days: 228 125 ₽ a year
        "big_lapsed": [("300000.00", 600), ("300000.00", 400)],  # every 200 days: 547 500 ₽ a year
    }
    for n, (name, orders) in enumerate(plan.items()):
        buyer = create_buyer(session, email=f"{name}@example.ru", name=f"Клиент {name}", phone=f"+7921555120{n}")
        for amount, days in orders:
            paid_order(session, buyer.id, amount, days_ago(days))
        assign_managers(session, [buyer.id], manager.id)
        ids[name] = buyer.id
    session.commit()
    return ids


def _names(html: str) -> list[str]:
    return re.findall(r">Клиент (\w+)</a>", html)


def test_lapsed_buyers_have_their_own_tab_sorted_by_value_at_risk(session: Session) -> None:
    ids = _world(session)
    due, risk, lapsed = (reorder_tab(session, tab, ids["manager"]) for tab in ("due", "risk", "lapsed"))
    assert [row.buyer.id for row in due.rows] == [ids["due"]]
    assert [row.buyer.id for row in risk.rows] == [ids["risk"]]
    assert [row.buyer.id for row in lapsed.rows] == [ids["big_lapsed"], ids["small_lapsed"]]
    assert lapsed.counts == {"due": 1, "risk": 1, "lapsed": 2}
    assert all(row.stats.spend_12m == 0 for row in lapsed.rows) and risk.rows[0].stats.spend_12m > 0
    assert [value_at_risk(row.stats) for row in lapsed.rows] == [Decimal("547500.00"), Decimal("228125.00")]
    assert reorder_tab(session, "lapsed", ids["other"]).rows == []
    with pytest.raises(ValueError):
        reorder_tab(session, "everyone", None)


def test_the_tabs_paginate_and_a_page_past_the_end_shows_the_last(
    app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _world(session)
    monkeypatch.setattr(queries, "PAGE_SIZE", 1)
    client = _client(app, "anna@mostik.local")
    first = client.get("/crm/reorders?tab=lapsed").get_data(as_text=True)
    assert _names(first) == ["big_lapsed"] and "Страница 1 из 2" in first
    assert 'rel="next" href="/crm/reorders?tab=lapsed&amp;page=2"' in first
    second = client.get("/crm/reorders?tab=lapsed&page=2").get_data(as_text=True)
    assert _names(second) == ["small_lapsed"] and 'rel="prev"' in second
    assert _names(client.get("/crm/reorders?tab=lapsed&page=9").get_data(as_text=True)) == ["small_lapsed"]
    tabs = client.get("/crm/reorders").get_data(as_text=True)
    assert "Пора повторить заказ (1)" in tabs and "Под угрозой ухода (1)" in tabs
    assert "Без покупок за 12 месяцев (2)" in tabs


@pytest.mark.parametrize("query", ["tab=all", "page=0", "page=abc", "manager=x"])
def test_bad_list_arguments_are_a_400_in_russian(app: Flask, session: Session, query: str) -> None:
    _world(session)
    response = _client(app, "admin@mostik.local").get(f"/crm/reorders?{query}")
    assert response.status_code == 400
    assert "crm-error" in response.get_data(as_text=True) and "Клиент" not in response.get_data(as_text=True)


def test_a_row_shows_the_phone_value_at_risk_and_the_prepare_reorder_hook(app: Flask, session: Session) -> None:
    ids = _world(session)
    html = _client(app, "anna@mostik.local").get("/crm/reorders?tab=lapsed").get_data(as_text=True)
    html = html.replace("\u00a0", " ")
    assert f'id="buyer-{ids["big_lapsed"]}"' in html
    assert '<a href="tel:+79215551203">+7 921 555-12-03</a>' in html
    assert "547 500 ₽" in html
    prepare = f"/crm/buyers/{ids['big_lapsed']}/quotes/prepare"
    assert f'href="{prepare}">Подготовить повторный заказ' in html
    assert 'action="/crm/buyers/assign"' not in html  # managers do not assign


def _post(client: FlaskClient, url: str, **data: str):
    return client.post(url, data={"csrf_token": crm_csrf(client, "/crm/reorders"), **data})


def test_a_task_and_a_note_from_a_row_come_back_to_the_same_list_page(app: Flask, session: Session) -> None:
    ids = _world(session)
    client = _client(app, "anna@mostik.local")
    back = "/crm/reorders?tab=lapsed&page=1"
    buyer = ids["small_lapsed"]
    task = _post(
        client,
        f"/crm/buyers/{buyer}/tasks",
        title="Позвонить насчёт следующего заказа",
        due_date="2030-01-15",
        due_time="10:00",
        assignee=str(ids["manager"]),
        next=back,
    )
    assert task.status_code == 302 and task.location == f"{back}#buyer-{buyer}"
    note = _post(client, f"/crm/buyers/{buyer}/notes", body="Сменили поставщика, вернутся весной", next=back)
    assert note.status_code == 302 and note.location == f"{back}#buyer-{buyer}"
    assert session.scalar(select(func.count()).select_from(Task).where(Task.buyer_id == buyer)) == 1
    assert session.scalar(select(Note.body).where(Note.buyer_id == buyer)) == "Сменили поставщика, вернутся весной"
    # Only a CRM path is followed; anything else returns to the card as before.
    away = _post(client, f"/crm/buyers/{buyer}/notes", body="Ещё заметка", next="https://evil.example/")
    assert away.location == f"/crm/buyers/{buyer}#notes"


def test_a_row_action_needs_the_csrf_token_and_a_title(app: Flask, session: Session) -> None:
    ids = _world(session)
    client = _client(app, "anna@mostik.local")
    buyer = ids["risk"]
    no_token = client.post(f"/crm/buyers/{buyer}/notes", data={"body": "Без токена", "next": "/crm/reorders"})
    assert no_token.status_code == 400
    empty = _post(client, f"/crm/buyers/{buyer}/tasks", title="", due_date="2030-01-15", due_time="10:00",
                  assignee=str(ids["manager"]), next="/crm/reorders")  # fmt: skip
    assert empty.status_code == 400 and "Напишите, что нужно сделать" in empty.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Task)) == 0
    assert session.scalar(select(func.count()).select_from(Note)) == 0


def test_an_admin_assigns_from_a_row_and_comes_back(app: Flask, session: Session) -> None:
    ids = _world(session)
    admin = _client(app, "admin@mostik.local")
    html = admin.get("/crm/reorders?tab=risk").get_data(as_text=True)
    assert 'action="/crm/buyers/assign"' in html
    response = _post(admin, "/crm/buyers/assign", buyer_ids=str(ids["risk"]), manager=str(ids["other"]),
                     next="/crm/reorders?tab=risk&page=1")  # fmt: skip
    assert response.status_code == 302
    assert response.location == f"/crm/reorders?tab=risk&page=1#buyer-{ids['risk']}"
    session.expire_all()
    assert session.get(BuyerProfile, ids["risk"]).manager_id == ids["other"]


ROLE_MATRIX = [
    # role, may open the list, may write a task / note on the buyer, may assign
    (Role.ADMIN, 200, 302, 302),
    (Role.ACCOUNT_MANAGER, 200, 302, 403),
    (Role.MARKETER, 403, 403, 403),
    (Role.OPERATOR, 403, 403, 403),
    (Role.FINANCE, 403, 403, 403),
]


@pytest.mark.parametrize(("role", "view", "write", "assign"), ROLE_MATRIX)
def test_the_list_and_its_row_actions_by_role(
    app: Flask, session: Session, role: str, view: int, write: int, assign: int
) -> None:
    ids = _world(session)
    email = {Role.ADMIN: "admin@mostik.local", Role.ACCOUNT_MANAGER: "anna@mostik.local"}.get(role)
    if email is None:
        email = f"{role}@mostik.local"
        make_staff(session, role, email=email)
        session.commit()
    client = _client(app, email)
    token = crm_csrf(client, "/crm/me")
    buyer = str(ids["risk"])
    assert client.get("/crm/reorders?tab=risk").status_code == view
    base = {"csrf_token": token, "next": "/crm/reorders?tab=risk"}
    task = {"title": "Позвонить", "due_date": "2030-01-15", "due_time": "10:00", "assignee": str(ids["manager"])}
    assert client.post(f"/crm/buyers/{buyer}/tasks", data={**base, **task}).status_code == write
    assert client.post(f"/crm/buyers/{buyer}/notes", data={**base, "body": "Заметка"}).status_code == write
    moved = client.post("/crm/buyers/assign", data={**base, "buyer_ids": buyer, "manager": str(ids["other"])})
    assert moved.status_code == assign
    anonymous = app.test_client().get("/crm/reorders")
    assert anonymous.status_code == 302 and anonymous.location.startswith("/crm/login")


def test_a_manager_cannot_act_on_another_managers_buyer(app: Flask, session: Session) -> None:
    ids = _world(session)
    client = _client(app, "olga@mostik.local")
    assert "Клиент" not in client.get("/crm/reorders?tab=risk").get_data(as_text=True)
    response = _post(client, f"/crm/buyers/{ids['risk']}/notes", body="Чужой клиент", next="/crm/reorders")
    assert response.status_code == 403
    assert session.scalar(select(func.count()).select_from(Note)) == 0


def test_the_sql_order_and_the_shown_value_at_risk_agree(session: Session) -> None:
    _world(session)
    stats = list(session.scalars(select(BuyerStats).order_by(queries.value_at_risk_order().desc())))
    values = [value_at_risk(row) for row in stats]
    assert values == sorted(values, reverse=True)

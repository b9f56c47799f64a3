"""The buyer list: every filter against a count computed directly from the data made, every sort, one query per
page, the assignment scope on contact data, and bad query strings refused in Russian."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.buyers.queries import BuyerFilters, buyer_page
from crm.buyers.services import assign_managers
from crm.staff.models import Role, StaffUser
from crm.tiers.services import recalc_tiers, seed_tiers
from storefront.account.models import Address, Tier
from tests.support.factories import create_buyer, days_ago, make_staff, paid_order
from tests.support.web import crm_login

REGIONS = ("77", "78", "54", "66")


@dataclass
class Made:
    id: int
    name: str
    kind: str
    registered_days: int
    #: (days ago, amount, region) of each order, paid.
    orders: list[tuple[int, Decimal, str]] = field(default_factory=list)
    address_region: str | None = None
    manager_id: int | None = None

    @property
    def spend_12m(self) -> Decimal:
        return sum((amount for days, amount, _ in self.orders if days <= 364), Decimal("0"))

    @property
    def last_days(self) -> int | None:
        return min((days for days, _, _ in self.orders), default=None)

    @property
    def region(self) -> str | None:
        if self.orders:
            return min(self.orders)[2]
        return self.address_region


def _world(session: Session) -> list[Made]:
    """Two dozen buyers with random orders (0–3, up to 500 days old), regions, kinds and registration dates."""
    seed_tiers(session)
    session.commit()
    rng = random.Random(20261126)
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    made = []
    used_days: set[int] = set()
    for index in range(24):
        company = index % 3 == 0
        buyer = create_buyer(session, email=f"b{index}@example.ru", name=f"Покупатель {index:02d}", company=company)
        registered_days = 600 + index * 7 + rng.randint(0, 5)
        buyer.created_at = days_ago(registered_days)
        item = Made(buyer.id, buyer.name, "company" if company else "person", registered_days)
        if index % 5 == 4:
            item.address_region = "54"
            session.add(
                Address(
                    buyer_id=buyer.id,
                    region_code="54",
                    city="Новосибирск",
                    postcode="630000",
                    street="Красный пр., д. 1",
                    recipient="Иван",
                    phone="+79161234567",
                )
            )
        session.commit()
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            days = rng.randint(1, 500)
            while days in used_days or days in (365, 366):  # distinct instants; the window edge has its own test
                days = rng.randint(1, 500)
            used_days.add(days)
            amount = Decimal(rng.randrange(50_000, 700_000, 1000))
            region = rng.choice(REGIONS)
            order = paid_order(session, buyer.id, amount, paid_at=days_ago(days))
            order.created_at, order.region_code = days_ago(days), region
            session.commit()
            item.orders.append((days, amount, region))
        if index % 4 == 0:
            assign_managers(session, [buyer.id], manager.id)
            session.commit()
            item.manager_id = manager.id
        made.append(item)
    recalc_tiers(session)
    return made


def _ids(session: Session, filters: BuyerFilters) -> list[int]:
    page = buyer_page(session, filters)
    assert page.total == len(page.rows)
    return [row.id for row in page.rows]


def test_every_filter_matches_a_direct_count(session: Session) -> None:
    made = _world(session)
    cases = {
        "region 78": (BuyerFilters(region="78"), lambda b: b.region == "78"),
        "region 54 (address only counts too)": (BuyerFilters(region="54"), lambda b: b.region == "54"),
        "spend ≥ 300 000": (BuyerFilters(spend_min=Decimal("300000")), lambda b: b.spend_12m >= 300000),
        "spend ≤ 300 000": (BuyerFilters(spend_max=Decimal("300000")), lambda b: b.spend_12m <= 300000),
        "spend 200 000–900 000": (
            BuyerFilters(spend_min=Decimal("200000"), spend_max=Decimal("900000")),
            lambda b: 200000 <= b.spend_12m <= 900000,
        ),
        "no order for 90 days or never": (
            BuyerFilters(inactive_days=90),
            lambda b: b.last_days is None or b.last_days > 90,
        ),
        "never ordered": (BuyerFilters(never_ordered=True), lambda b: b.last_days is None),
        "companies": (BuyerFilters(kind="company"), lambda b: b.kind == "company"),
        "people": (BuyerFilters(kind="person"), lambda b: b.kind == "person"),
        "companies in 77 without an order for 30 days": (
            BuyerFilters(kind="company", region="77", inactive_days=30),
            lambda b: b.kind == "company" and b.region == "77" and (b.last_days is None or b.last_days > 30),
        ),
    }
    for label, (filters, predicate) in cases.items():
        expected = sorted(b.id for b in made if predicate(b))
        assert sorted(_ids(session, filters)) == expected, label
    # The data must exercise every filter both ways.
    assert any(b.last_days is None for b in made) and any(b.last_days is not None for b in made)
    assert len({b.region for b in made}) >= 4


def test_every_sort_both_ways(session: Session) -> None:
    made = _world(session)
    keys = {
        "name": lambda b: b.name.lower(),
        "spend": lambda b: b.spend_12m,
        "registered": lambda b: -b.registered_days,
    }
    for descending in (False, True):
        for sort, key in keys.items():
            expected = [b.id for b in sorted(made, key=lambda b: (key(b), b.id), reverse=descending)]
            assert _ids(session, BuyerFilters(sort=sort, descending=descending)) == expected, (sort, descending)
        ordered = sorted((b for b in made if b.last_days is not None), key=lambda b: (-b.last_days, b.id))
        never = sorted((b.id for b in made if b.last_days is None), reverse=descending)
        expected = [b.id for b in (reversed(ordered) if descending else ordered)] + never
        assert _ids(session, BuyerFilters(sort="last_order", descending=descending)) == expected


def test_a_page_of_the_list_is_one_query(app: Flask, session: Session) -> None:
    _world(session)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = buyer_page(session, BuyerFilters(region="78", spend_min=Decimal("1"), sort="spend", descending=True))
        [(row.tier_name, row.manager_name, row.region_name, row.last_order_at) for row in page.rows]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements


def _signed_in(app: Flask, session: Session, role: Role, email: str | None = None) -> FlaskClient:
    staff = make_staff(session, role, email=email)
    session.commit()
    client = app.test_client()
    assert crm_login(client, staff.email).status_code == 302
    return client


def _listed(html: str) -> set[int]:
    return {int(found) for found in re.findall(r'href="/crm/buyers/(\d+)"', html)}


def test_russian_number_input_and_sort_over_http(app: Flask, session: Session) -> None:
    made = _world(session)
    client = _signed_in(app, session, Role.ADMIN)
    response = client.get("/crm/buyers/?spend_min=300+000&spend_max=1+000+000,50&sort=spend&order=desc")
    assert response.status_code == 200
    expected = {b.id for b in made if 300000 <= b.spend_12m <= Decimal("1000000.50")}
    assert _listed(response.get_data(as_text=True)) == expected
    assert 'value="300 000"' in response.get_data(as_text=True)  # the typed text is kept in the box


def test_the_export_honours_filters_and_sort_and_is_audited(app: Flask, session: Session) -> None:
    made = _world(session)
    client = _signed_in(app, session, Role.ADMIN)
    response = client.get("/crm/buyers/export.csv?kind=company&sort=spend&order=desc&page=2")
    assert response.status_code == 200
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    companies = sorted((b for b in made if b.kind == "company"), key=lambda b: (b.spend_12m, b.id), reverse=True)
    assert [int(line.split(";")[0]) for line in lines[1:]] == [b.id for b in companies]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "buyers.export"))
    assert entry is not None and "kind=company" in entry.detail


def test_an_account_manager_sees_contact_data_of_their_own_buyers_only(app: Flask, session: Session) -> None:
    mine = create_buyer(session, email="mine@example.ru")
    other = create_buyer(session, email="other@example.ru")
    session.commit()
    client = _signed_in(app, session, Role.ACCOUNT_MANAGER)
    staff = session.scalar(select(StaffUser).where(StaffUser.role == Role.ACCOUNT_MANAGER))
    assign_managers(session, [mine.id], staff.id)
    session.commit()
    html = client.get("/crm/buyers/").get_data(as_text=True)
    assert "mine@example.ru" in html and "other@example.ru" not in html
    assert _listed(html) == {mine.id, other.id}  # the summary is still listed
    export = client.get("/crm/buyers/export.csv").get_data(as_text=True)
    assert "mine@example.ru" in export and "other@example.ru" not in export


def test_gold_buyers_without_a_manager_are_flagged_and_filterable(app: Flask, session: Session) -> None:
    seed_tiers(session)
    session.commit()
    gold = session.scalar(select(Tier).where(Tier.code == "gold"))
    silver = session.scalar(select(Tier).where(Tier.code == "silver"))
    lonely = create_buyer(session, email="gold@example.ru", tier_id=gold.id)
    create_buyer(session, email="silver@example.ru", tier_id=silver.id)
    looked_after = create_buyer(session, email="gold2@example.ru", tier_id=gold.id)
    session.commit()
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    session.commit()
    assign_managers(session, [looked_after.id], manager.id)
    session.commit()
    client = _signed_in(app, session, Role.ADMIN)
    html = client.get("/crm/buyers/?unassigned_vip=y").get_data(as_text=True)
    assert _listed(html) == {lonely.id}
    assert 'class="crm-error">VIP без менеджера' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("spend_min=много", "Введите сумму в рублях, например 300 000."),
        ("spend_min=-5", "Сумма должна быть от 0 до 1 000 000 000 000 ₽."),
        ("spend_min=500000&spend_max=100000", "Верхняя сумма не может быть меньше нижней."),
        ("inactive_days=-3", "Число дней от 0 до 36 500."),
        ("sort=price", "Сортировка: по названию, покупкам, последнему заказу или дате регистрации."),
        ("order=up", "Порядок: по возрастанию или по убыванию."),
        ("region=999", "Неизвестный регион."),
        ("kind=robot", "Выберите: физическое лицо или компания."),
    ],
)
def test_bad_query_strings_are_a_400_in_russian(app: Flask, session: Session, query: str, message: str) -> None:
    client = _signed_in(app, session, Role.ADMIN)
    response = client.get("/crm/buyers/?" + query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("\u00a0", " ")
    export = client.get("/crm/buyers/export.csv?" + query)
    assert export.status_code == 400
    assert message in export.get_data(as_text=True).replace("\u00a0", " ")
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "buyers.export")) is None


def test_a_page_past_the_end_shows_the_last_page(session: Session) -> None:
    create_buyer(session)
    session.commit()
    page = buyer_page(session, BuyerFilters(), page=7)
    assert (page.page, page.pages, page.total, len(page.rows)) == (1, 1, 1, 1)


def test_an_admin_assigns_one_buyer_from_the_card_and_it_is_audited(app: Flask, session: Session) -> None:
    buyer = create_buyer(session)
    session.commit()
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    session.commit()
    client = _signed_in(app, session, Role.ADMIN)
    card = client.get(f"/crm/buyers/{buyer.id}").get_data(as_text=True)
    assert 'name="back" value="card"' in card
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', card).group(1)
    data = {"csrf_token": token, "buyer_ids": [buyer.id], "manager": str(manager.id), "back": "card"}
    response = client.post("/crm/buyers/assign", data=data)
    assert response.status_code == 302 and response.location.endswith(f"/crm/buyers/{buyer.id}")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "buyers.assign"))
    assert entry.detail == f"manager {manager.id}: buyers {buyer.id}"
    assert "olga@mostik.local" in client.get(f"/crm/buyers/{buyer.id}").get_data(as_text=True)
    manager_client = _signed_in(app, session, Role.ACCOUNT_MANAGER)
    assert 'name="back" value="card"' not in manager_client.get(f"/crm/buyers/{buyer.id}").get_data(as_text=True)

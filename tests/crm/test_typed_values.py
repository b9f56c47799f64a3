"""Dates and amounts staff type are bounded by the shared fields (``storefront.form_fields``): a day whose Moscow
bounds overflow, or an amount Python would read as «1e3» or «1_000», is a Russian message on the field, never a 500
and never a changed row."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.staff.models import Role
from storefront.account.models import Tier
from storefront.promo.models import PromoCode
from tests.support.factories import make_staff
from tests.support.web import crm_csrf, crm_login

RANGE = "Выберите дату между 2000 и 2100 годом."


def _admin(client: FlaskClient, session: Session) -> None:
    make_staff(session, Role.ADMIN)
    session.commit()
    assert crm_login(client, "admin@mostik.local").status_code == 302


def _text(response) -> str:
    return response.get_data(as_text=True).replace("\xa0", " ")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
@pytest.mark.parametrize(
    "path",
    [
        "/crm/audit/?date_from={day}",
        "/crm/audit/?date_to={day}",
        "/crm/orders/?placed_from={day}",
        "/crm/orders/?paid_to={day}",
        "/crm/search/demand?date_from={day}",
        "/crm/search/demand?date_to={day}",
        "/crm/search/demand/export.csv?date_to={day}",
    ],
)
def test_a_day_outside_2000_2100_is_a_russian_400_on_every_date_filter(
    client: FlaskClient, session: Session, path: str, day: str
) -> None:
    _admin(client, session)
    response = client.get(path.format(day=day))
    assert response.status_code == 400
    if "export.csv" not in path:
        assert RANGE in _text(response)


def test_a_day_typed_the_russian_way_is_read(client: FlaskClient, session: Session) -> None:
    _admin(client, session)
    assert client.get("/crm/audit/?date_from=06.12.2026&date_to=2026-12-31").status_code == 200
    assert client.get("/crm/audit/?date_from=31.02.2026").status_code == 400


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"starts_at": "0001-01-01T00:00"}, RANGE),
        ({"ends_at": "9999-12-31T23:59"}, RANGE),
        ({"percent": "1e1"}, "Введите число"),
        ({"percent": "5_0"}, "Введите число"),
        ({"percent": "NaN"}, "Введите число"),
        ({"percent": "12,345"}, "Введите число"),
        ({"percent": "-5"}, "Введите число от 0,01 до 100"),
        ({"kind": "fixed", "fixed_amount": "1e3"}, "Введите число"),
    ],
)
def test_promo_code_form_refuses_out_of_range_days_and_python_numbers(
    client: FlaskClient, session: Session, fields: dict[str, str], message: str
) -> None:
    _admin(client, session)
    data = {"csrf_token": crm_csrf(client, "/crm/promo/new"), "code": "ZIMA", "kind": "percent", "percent": "5"}
    response = client.post("/crm/promo/new", data={**data, **fields})
    assert response.status_code in (200, 400)
    assert message in _text(response)
    assert session.scalar(select(func.count(PromoCode.id))) == 0


def test_promo_code_form_takes_russian_amounts(client: FlaskClient, session: Session) -> None:
    _admin(client, session)
    data = {"csrf_token": crm_csrf(client, "/crm/promo/new"), "code": "ZIMA", "kind": "fixed"}
    response = client.post("/crm/promo/new", data={**data, "fixed_amount": "1\xa0000,50", "min_order_amount": "5 000"})
    assert response.status_code == 302
    promo = session.scalars(select(PromoCode)).one()
    assert (str(promo.fixed_amount), str(promo.min_order_amount)) == ("1000.50", "5000.00")


@pytest.mark.parametrize("threshold", ["3e5", "300_000", "Infinity", "-1"])
def test_tier_threshold_refuses_python_numbers(client: FlaskClient, session: Session, threshold: str) -> None:
    _admin(client, session)
    data = {
        "csrf_token": crm_csrf(client, "/crm/tiers/new"),
        "code": "platinum",
        "name": "Платина",
        "threshold_amount": threshold,
        "discount_percent": "7,5",
    }
    response = client.post("/crm/tiers/new", data=data)
    assert response.status_code in (200, 400)
    assert "Введите число" in _text(response)
    assert session.scalar(select(func.count(Tier.id)).where(Tier.code == "platinum")) == 0

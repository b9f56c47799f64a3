"""СДЭК pickup points: the data file, `flask shipping import-points` (bad rows by line, nothing half-applied), and
the checkout asking for a point, the order keeping it and showing it on the order page, in the e-mail and the CRM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.staff.models import Role
from storefront.order.models import Order
from storefront.shipping.models import ShippingMethod
from storefront.shipping.points import SAMPLE_FILE, PointsFileInvalid, load_points, parse_points
from tests.support.factories import create_shop, make_staff
from tests.support.web import add_to_cart, checkout_form, crm_login, place

HEADER = "code,region_code,city,address,hours\n"


def _method(session, code: str) -> int:
    return session.scalars(select(ShippingMethod.id).where(ShippingMethod.code == code)).one()


def test_the_sample_covers_the_big_cities_with_complete_rows():
    points = load_points(None)
    cities = {point.city for point in points}
    assert {"Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург", "Казань", "Владивосток"} <= cities
    assert len({point.code for point in points}) == len(points)
    assert all(point.address and point.hours and point.region_code for point in points)
    assert parse_points(SAMPLE_FILE.read_bytes()) == points  # the sample passes the import's own checks


def test_bad_rows_are_reported_by_line():
    data = (
        HEADER
        + "MSK1,77,Москва,ул. Тверская, 1,пн–вс 10–21\n"  # one cell too many: the address has an unquoted comma
        + 'MSK2,77,Москва,"ул. Тверская, 2",пн–вс 10–21\n'
        + "MSK2,77,Москва,ул. Арбат 3,пн–вс 10–21\n"
        + "??,77,Москва,ул. Арбат 4,пн–вс 10–21\n"
        + "KZN1,99,Казань,ул. Баумана 1,пн–вс 10–21\n"
        + "KZN2,16,,ул. Баумана 2,пн–вс 10–21\n"
    ).encode()
    with pytest.raises(PointsFileInvalid) as caught:
        parse_points(data)
    assert [(row.line, row.problem) for row in caught.value.rows] == [
        (2, "columns"),
        (4, "duplicate"),
        (5, "bad_code"),
        (6, "unknown_region"),
        (7, "missing"),
    ]


def test_the_cli_imports_a_good_file_and_changes_nothing_on_a_bad_one(app, runner, tmp_path, monkeypatch):
    target = tmp_path / "points.json"
    monkeypatch.setitem(app.config, "PICKUP_POINTS_FILE", str(target))
    good = tmp_path / "good.csv"
    good.write_text(
        "code;region_code;city;address;hours\n"
        "MSK9;77;Москва;ул. Тверская, д. 9;пн–вс 10:00–21:00\n"
        "KZN9;16;Казань;ул. Баумана, д. 9;пн–сб 10:00–20:00\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["shipping", "import-points", str(good)])
    assert result.exit_code == 0, result.output
    assert "Пункты выдачи загружены: 2 пункта в 2 городах." in result.output
    assert [p.code for p in load_points(target)] == ["MSK9", "KZN9"]
    before = target.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "SPB1,78,Санкт-Петербург,Невский 1,пн–вс\nSPB2,78,,Невский 2,пн–вс\n", encoding="utf-8")
    result = runner.invoke(args=["shipping", "import-points", str(bad)])
    assert result.exit_code == 1
    assert "Строка 3: пустое поле: city." in result.output
    assert "Ничего не загружено: 1 строка с ошибкой." in result.output
    assert target.read_bytes() == before  # nothing half-applied
    assert list(tmp_path.glob(".cdek_points.*")) == []
    not_points = tmp_path / "prices.csv"
    not_points.write_text("sku,price\nA,1\n", encoding="utf-8")
    result = runner.invoke(args=["shipping", "import-points", str(not_points)])
    assert result.exit_code == 1 and "первая строка должна называть столбцы" in result.output
    assert json.loads(target.read_text(encoding="utf-8"))[0]["code"] == "MSK9"


def test_checkout_asks_for_a_point_and_the_order_keeps_and_shows_it(app, client, session, mailbox):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 1)
    page = client.post(
        "/checkout", data={**checkout_form(client), "region_code": "78", "city": "Санкт-Петербург"}
    ).get_data(as_text=True)
    assert "Пункт выдачи СДЭК" in page and "Невский пр-т, д. 88 · пн–вс 10:00–21:00" in page
    assert "Москва" not in page.split('id="pickup_point"')[1].split("</select>")[0]  # only the region's points
    pickup = _method(session, "cdek-pickup")
    missing = place(client, pickup, pickup_point="")
    assert missing.status_code == 400
    assert "Выберите пункт выдачи, где вы заберёте заказ." in missing.get_data(as_text=True)
    elsewhere = place(client, pickup, pickup_point="MSK1093")  # a Moscow point for a St Petersburg address
    assert elsewhere.status_code == 400
    assert session.scalar(select(Order.id)) is None
    placed = place(client, pickup, pickup_point="SPB118")
    assert placed.status_code == 303
    order = session.scalars(select(Order)).one()
    assert order.pickup_point == "SPB118: Санкт-Петербург, ул. Савушкина, д. 126 (пн–вс 10:00–22:00)"
    text = mailbox.messages[0].get_body(("plain",)).get_content()
    assert "Пункт выдачи: SPB118: Санкт-Петербург, ул. Савушкина, д. 126" in text
    link = next(line for line in text.splitlines() if "/orders/" in line)
    detail = client.get(link[link.index("/orders/") :].strip()).get_data(as_text=True)
    assert "Пункт выдачи: SPB118" in detail
    staff = make_staff(session, Role.ADMIN)
    session.commit()
    crm = app.test_client()
    crm_login(crm, staff.email)
    assert "Пункт выдачи: SPB118" in crm.get(f"/crm/orders/{order.number}").get_data(as_text=True)


def test_other_methods_need_no_point_and_regions_without_points_are_not_offered_pickup(client, session):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 1)
    page = client.post("/checkout", data={**checkout_form(client), "region_code": "01"}).get_data(as_text=True)
    assert "СДЭК — курьер до двери" in page and "СДЭК — пункт выдачи" not in page
    assert place(client, _method(session, "pochta"), pickup_point="").status_code == 303
    assert session.scalars(select(Order.pickup_point)).one() is None


def test_the_label_is_what_the_order_keeps(tmp_path: Path):
    point = load_points(None)[0]
    assert point.label() == f"{point.code}: {point.city}, {point.address} ({point.hours})"

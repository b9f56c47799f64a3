"""A marketer signs in to the CRM and builds a segment: spend AND (city OR tier), sees the live count, saves it.
Every step is saved as a screenshot."""

import pytest
from sqlalchemy import select

from crm.segments.models import Segment
from tests.browser.conftest import wait_until
from tests.crm.segments.test_segments_web import TWO_CONDITIONS, _world
from tests.support.factories import PASSWORD, make_staff

pytestmark = pytest.mark.browser


def test_marketer_builds_and_saves_a_segment_with_a_nested_or_group(page, shots, session):
    _world(session)
    make_staff(session, "marketer", email="marina@mostik.local")
    session.commit()
    page.goto("/crm/login")
    page.fill("input[name=email]", "marina@mostik.local")
    page.fill("input[name=password]", PASSWORD)
    shots(page, "crm-login")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()

    page.goto("/crm/segments/")
    page.get_by_role("link", name="Новый сегмент").click()
    page.wait_for_selector("#segment-builder .seg-group")
    page.fill("#name", "Петербург и золото, от 100 тыс.")
    root = page.locator("#segment-builder > .seg-group")

    # Condition 1: spend over 12 months ≥ 100 000 ₽.
    root.locator(":scope > .seg-row > .seg-add-condition").click()
    first = root.locator(":scope > [data-condition]").first
    first.locator(".seg-field").select_option("spend_12m")
    first = root.locator(":scope > [data-condition]").first
    first.locator(".seg-operator").select_option("gte")
    first = root.locator(":scope > [data-condition]").first
    first.locator("input").fill("100000")

    # A nested OR group: city is St Petersburg, or the tier is Gold.
    root.locator(":scope > .seg-row > .seg-add-group").click()
    group = root.locator(":scope > .seg-group")
    assert group.locator(".seg-op").input_value() == "or"
    condition = group.locator("[data-condition]").first
    condition.locator(".seg-field").select_option("city")
    condition = group.locator("[data-condition]").first
    condition.locator("input").fill("Санкт-Петербург")
    group.locator(":scope > .seg-row > .seg-add-condition").click()
    second = group.locator("[data-condition]").nth(1)
    second.locator(".seg-operator").select_option("eq")
    second = group.locator("[data-condition]").nth(1)
    second.locator("select").nth(2).select_option("gold")

    wait_until(page, "document.getElementById('segment-count').textContent.includes('Покупателей в сегменте: 2')")
    preview = page.inner_text("#segment-preview")
    assert "Анна Смирнова" in preview and "Олег Золотов" in preview and "Пётр Малый" not in preview
    assert "+7" not in preview
    shots(page, "segment-built")

    with page.expect_navigation():
        page.click("#segment-save")
    assert "Петербург и золото, от 100 тыс." in page.inner_text("main")
    assert "2 покупателя" in page.inner_text("main")
    shots(page, "segment-saved")
    session.expire_all()
    saved = session.scalars(select(Segment)).one()
    assert saved.definition["op"] == "and"
    spend, nested = saved.definition["conditions"]
    assert spend == {"field": "spend_12m", "operator": "gte", "value": "100000"}
    assert nested["op"] == "or" and [c["field"] for c in nested["conditions"]] == ["city", "tier"]
    assert TWO_CONDITIONS["conditions"][1]["op"] == "or"

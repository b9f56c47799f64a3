"""The segment builder's region picker (issue 18): regions grouped by federal district, with checkboxes and a filter
box instead of a Ctrl-click list; the city field suggests the cities of saved addresses. On a laptop (1366 px) and
a phone (390 px), with screenshots."""

import pytest
from sqlalchemy import select

from crm.segments.models import Segment
from tests.browser.conftest import assert_no_sideways_scroll, open_tab, sign_in, wait_until
from tests.crm.segments.test_segments_web import _world
from tests.support.factories import make_staff

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "name"), [(1366, "laptop"), (390, "phone")])
def test_regions_are_picked_by_federal_district_with_a_filter(browser, live_server, shots, session, width, name):
    _world(session)
    make_staff(session, "marketer", email="marina@mostik.local")
    session.commit()
    context, tab = open_tab(browser, live_server, width)
    try:
        sign_in(tab, "marina@mostik.local")
        tab.goto("/crm/segments/new")
        tab.wait_for_selector("#segment-builder .seg-group")
        tab.fill("#name", f"Урал и Петербург ({name})")
        root = tab.locator("#segment-builder > .seg-group")
        root.locator(":scope > .seg-row > .seg-add-condition").click()
        root.locator("[data-condition] .seg-field").first.select_option("region")
        root.locator("[data-condition] .seg-operator").first.select_option("in")
        picker = tab.locator(".seg-picker")
        # The single value chosen before (the first region, Moscow) carries over to the list, ticked.
        picker.get_by_label("Москва (77)").uncheck()
        districts = picker.locator("summary").all_inner_texts()
        assert districts[:2] == ["Центральный", "Северо-Западный"] and len(districts) == 8
        assert_no_sideways_scroll(tab)
        shots(tab, f"{name}-districts")

        picker.locator(".seg-picker-filter").fill("сверд")
        assert picker.locator("details:not([hidden])").count() == 1
        picker.get_by_label("Свердловская область (66)").check()
        picker.locator(".seg-picker-filter").fill("петер")
        picker.get_by_label("Санкт-Петербург (78)").check()
        shots(tab, f"{name}-filtered")
        picker.locator(".seg-picker-filter").fill("")
        assert "Уральский (выбрано: 1)" in picker.locator("summary").all_inner_texts()
        wait_until(tab, "document.getElementById('segment-count').textContent.includes('Покупателей в сегменте: 2')")
        assert_no_sideways_scroll(tab)
        shots(tab, f"{name}-chosen")
        with tab.expect_navigation():
            tab.click("#segment-save")
    finally:
        context.close()
    session.expire_all()
    saved = session.scalars(select(Segment).where(Segment.name == f"Урал и Петербург ({name})")).one()
    assert saved.definition["conditions"] == [{"field": "region", "operator": "in", "value": ["78", "66"]}]

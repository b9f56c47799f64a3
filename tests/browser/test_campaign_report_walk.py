"""A marketer opens «Итоги рассылок» from the campaign list, picks a period and sees both tables and the chart
(vendored Chart.js, no inline script) on a laptop (1366 px) and a phone (390 px), in Russian, with screenshots."""

import pytest

from tests.browser.conftest import assert_no_sideways_scroll, open_tab
from tests.crm.campaigns.test_campaign_overview import _data_set
from tests.support.factories import PASSWORD, make_staff
from tests.support.russian import ALLOWED, latin_words

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "name"), [(1366, "laptop"), (390, "phone")])
def test_a_marketer_reads_campaign_results_by_campaign_and_month(browser, live_server, shots, session, width, name):
    campaigns = _data_set(session)
    make_staff(session, "marketer", email="marina@mostik.local")
    session.commit()
    context, tab = open_tab(browser, live_server, width)
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        tab.goto("/crm/login")
        tab.fill("input[name=email]", "marina@mostik.local")
        tab.fill("input[name=password]", PASSWORD)
        with tab.expect_navigation():
            tab.locator("form button[type=submit]").last.click()
        tab.goto("/crm/campaigns/")
        with tab.expect_navigation():
            tab.get_by_role("link", name="Итоги рассылок").click()
        tab.wait_for_selector("#month-table")
        tab.fill("input[name=date_from]", "2026-08-01")
        tab.fill("input[name=date_to]", "2026-11-30")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Показать").click()
        tab.wait_for_selector("#chart-campaign-months")
        drawn = tab.evaluate(
            "id => { const chart = Chart.getChart(id); const box = document.getElementById(id).getBoundingClientRect();"
            " return chart ? [chart.data.datasets.length, chart.data.labels.length, box.width, box.height] : null; }",
            "chart-campaign-months",
        )
        assert drawn is not None and drawn[0] == 2 and drawn[1] == 4, drawn
        assert drawn[2] > 200 and drawn[3] > 100, drawn
        rows = tab.locator("#campaign-table tbody tr")
        assert rows.count() == 3
        assert rows.first.locator("a").inner_text() == campaigns["october"].name
        months = tab.locator("#month-table tbody tr td:first-child").all_inner_texts()
        assert months == ["август 2026", "сентябрь 2026", "октябрь 2026", "ноябрь 2026"]
        main = tab.inner_text("main")
        assert "Итого" in main and "по дате оформления заказа" in main
        assert latin_words(main, ALLOWED | {"CSV"}) == []
        assert errors == []
        assert_no_sideways_scroll(tab)
        tab.wait_for_timeout(800)  # let the bars finish their entry animation for the screenshot
        shots(tab, f"{name}-report")
        tab.select_option("select[name=scope]", "all")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Показать").click()
        assert "Брошенная корзина" in tab.inner_text("#campaign-table")
        assert_no_sideways_scroll(tab)
        tab.wait_for_timeout(800)
        shots(tab, f"{name}-all-campaigns")
    finally:
        context.close()

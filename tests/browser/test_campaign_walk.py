"""A marketer signs in to the CRM, writes a campaign for a saved segment, previews it as a real buyer and
schedules it for the next working day 10:00 Moscow time. Every step is saved as a screenshot."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from crm.campaigns.models import Campaign, CampaignStatus
from storefront.moscow import MOSCOW
from storefront.workdays import add_working_days
from tests.support import factories
from tests.support.factories import PASSWORD, make_staff

pytestmark = pytest.mark.browser

SUBJECT = "{{ buyer.first_name }}, зимняя коллекция уже в каталоге"
BODY_HTML = (
    "<p>Здравствуйте, {{ buyer.first_name }}!</p>"
    '<p>Тёплая обувь с фабрик Гуанчжоу: <a href="{base}/catalog?sort=new">смотреть каталог</a>.</p>'
)
BODY_TEXT = "Здравствуйте, {{ buyer.first_name }}!\nТёплая обувь с фабрик Гуанчжоу: {base}/catalog?sort=new\n"


def test_marketer_writes_previews_and_schedules_a_campaign_in_moscow_time(page, shots, session, live_server):
    # Link targets point at the live server itself: nothing here may talk to the outside world.
    body_html = BODY_HTML.replace("{base}", live_server)
    body_text = BODY_TEXT.replace("{base}", live_server)
    segment = factories.create_segment(session, "Подписчики на рассылку")
    buyer = factories.create_recipient(session, "zarina@example.ru", "Зарина Ахметова")
    make_staff(session, "marketer", email="marina@mostik.local")
    session.commit()

    page.goto("/crm/login")
    page.fill("input[name=email]", "marina@mostik.local")
    page.fill("input[name=password]", PASSWORD)
    shots(page, "crm-login")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()

    page.goto("/crm/campaigns/")
    page.wait_for_selector("main h1")
    assert "Рассылки" in page.inner_text("main h1")
    shots(page, "campaign-list")
    with page.expect_navigation():
        page.get_by_role("link", name="Новая рассылка").click()
    page.wait_for_selector("form textarea[name=body_html]")
    page.fill("input[name=name]", "Зимняя обувь")
    page.select_option("select[name=segment_id]", label="Подписчики на рассылку")
    page.fill("input[name=subject]", SUBJECT)
    page.check("input[name=body_mode][value=html]")  # the expert's mode (blocks: test_campaign_blocks_walk.py)
    page.fill("textarea[name=body_html]", body_html)
    page.fill("textarea[name=body_text]", body_text)
    shots(page, "campaign-form")
    with page.expect_navigation():
        page.get_by_role("button", name="Сохранить").click()

    main = page.inner_text("main")
    assert "Рассылка сохранена." in page.content()
    assert "Зимняя обувь" in main and "Черновик" in main and "Подписчики на рассылку" in main
    shots(page, "campaign-saved")

    with page.expect_navigation():
        page.get_by_role("link", name="Предпросмотр").click()
    page.fill("input[name=buyer_id]", str(buyer.id))
    with page.expect_navigation():
        page.get_by_role("button", name="Показать").click()
    page.wait_for_selector("iframe")
    main = page.inner_text("main")
    assert "Зарина Ахметова" in main and "zarina@example.ru" not in main  # a marketer sees no contacts
    assert "Зарина, зимняя коллекция уже в каталоге" in main
    assert "Здравствуйте, Зарина!" in page.inner_text("main pre")
    letter = page.frame_locator("#preview-desktop")
    assert letter.locator("p").first.inner_text() == "Здравствуйте, Зарина!"
    link = letter.get_by_role("link", name="смотреть каталог")
    href = link.get_attribute("href")
    # A preview links straight to the shop page with the UTM tags, not through the click redirect.
    assert href.startswith(f"{live_server}/catalog?sort=new&")
    assert "utm_source=mostik" in href and "utm_campaign=zimniaia-obuv" in href
    shots(page, "campaign-preview")

    # Followed by address: the two sandboxed preview frames keep Playwright's «load» of the next page waiting.
    page.goto(page.get_by_role("link", name="Назад").get_attribute("href"))
    # The next working day: a holiday would ask for a confirmation first (test_campaign_schedule_warnings.py).
    tomorrow = add_working_days(datetime.now(MOSCOW).date() + timedelta(days=1), 0)
    page.check("input[name=when][value=later]")
    page.fill("input[name=send_at]", f"{tomorrow:%Y-%m-%d}T10:00")
    shots(page, "campaign-schedule")
    with page.expect_navigation():
        page.get_by_role("button", name="Запланировать").click()

    main = page.inner_text("main")
    assert "Рассылка запланирована." in page.content()
    assert "Статус: Запланирована" in main
    assert f"Запланирована на (по Москве): {tomorrow:%d.%m.%Y} 10:00" in main
    shots(page, "campaign-scheduled")

    page.goto("/crm/campaigns/")
    row = page.locator("tr", has_text="Зимняя обувь")
    row.wait_for()
    assert "Запланирована" in row.inner_text() and f"{tomorrow:%d.%m.%Y} 10:00" in row.inner_text()
    shots(page, "campaign-list-scheduled")

    session.expire_all()
    campaign = session.scalars(select(Campaign)).one()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.segment_id == segment.id
    assert campaign.subject == SUBJECT and campaign.body_html == body_html
    # 10:00 in Moscow (UTC+3, no daylight saving) is 07:00 UTC.
    assert campaign.scheduled_at == datetime.combine(tomorrow, time(7, 0), tzinfo=UTC)
    assert campaign.scheduled_at.astimezone(MOSCOW).time() == time(10, 0)

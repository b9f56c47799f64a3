"""A marketer on a laptop (1366 px) builds a block e-mail with an A/B test of its subject (subject B, 30 % of the
recipients, the winner by opens after 2 hours) and schedules it; a wrong test share is refused in Russian first.
The campaign then starts, the winner is chosen, and the report with both variants and the winner is read on the
laptop and on a phone (390 px): Russian only, no sideways scroll. Every step is saved as a screenshot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from crm.campaigns.ab_test import decide_due_tests
from crm.campaigns.models import Campaign, CampaignRecipient, CampaignStatus
from crm.campaigns.sending import send_due
from storefront.db import utcnow
from tests.browser.conftest import assert_no_sideways_scroll, open_tab, press, sign_in
from tests.support import factories
from tests.support.factories import make_staff

pytestmark = pytest.mark.browser
ENGLISH = ("Subject", "Variant", "Winner", "Save", "Schedule", "opens", "recipients", "A/B test")


def _russian_only(tab) -> None:
    shown = tab.inner_text("main")
    for english in ENGLISH:
        assert english not in shown, english


def test_marketer_builds_a_block_email_with_an_ab_subject_schedules_it_and_reads_the_winner(
    app: Flask, browser, shots, session, live_server, mailbox
) -> None:
    factories.create_segment(session, "Подписчики на рассылку")
    for i in range(20):
        factories.create_recipient(session, f"buyer{i}@example.ru", f"Покупатель{i} Тестов")
    make_staff(session, "marketer", email="marina@mostik.local")
    session.commit()

    context, tab = open_tab(browser, live_server, 1366)
    try:
        sign_in(tab, "marina@mostik.local")
        tab.goto("/crm/campaigns/new")
        tab.fill("input[name=name]", "Зимняя обувь: тест темы")
        tab.select_option("select[name=segment_id]", label="Подписчики на рассылку")
        tab.fill("input[name=subject]", "{{ buyer.first_name }}, зима близко")
        tab.check("input[name=ab_test]")
        tab.fill("input[name=subject_b]", "Тёплая обувь со склада — от 2 дней")
        tab.fill("input[name=ab_percent]", "60")
        tab.select_option("select[name=ab_metric]", value="opens")
        tab.fill("input[name=ab_wait_hours]", "2")
        assert tab.is_checked("input[name=body_mode][value=blocks]")
        press(tab, "Сохранить")
        assert "Доля A/B-теста должна быть от 10 до 50 процентов." in tab.inner_text("#ab-test")
        shots(tab, "laptop-share-refused")
        tab.fill("input[name=ab_percent]", "30")
        shots(tab, "laptop-ab-form")
        press(tab, "Сохранить")
        assert "Блоки письма: Зимняя обувь: тест темы" in tab.inner_text("main h1")

        press(tab, "Заголовок")
        tab.fill("input[name=b0-text]", "{{ buyer.first_name }}, тёплая обувь уже на складе")
        press(tab, "Текст")
        tab.fill("textarea[name=b1-text]", "Новая зимняя коллекция с фабрик Гуанчжоу.")
        press(tab, "Кнопка")
        tab.fill("input[name=b2-label]", "Смотреть каталог")
        tab.fill("input[name=b2-url]", "https://mostik.example/catalog?sort=new")
        press(tab, "Сохранить")
        assert "Письмо сохранено." in tab.content()
        shots(tab, "laptop-blocks")

        campaign_id = session.scalars(select(Campaign.id)).one()
        tab.goto(f"/crm/campaigns/{campaign_id}")
        plan = tab.inner_text("#ab-winner")
        assert "В тесте 30\xa0% получателей; победитель выбирается по открытиям через 2 часа после старта." in plan
        tab.check("input[name=when][value=later]")
        tab.fill("input[name=send_at]", "2030-03-12T11:00")
        press(tab, "Запланировать")
        assert "Рассылка запланирована." in tab.content()
        _russian_only(tab)
        shots(tab, "laptop-scheduled")
    finally:
        context.close()

    session.expire_all()
    campaign = session.get(Campaign, campaign_id)
    assert campaign.status == CampaignStatus.SCHEDULED and campaign.body_blocks
    assert (campaign.subject_b, campaign.ab_percent, campaign.ab_metric, campaign.ab_wait_hours) == (
        "Тёплая обувь со склада — от 2 дней",
        30,
        "opens",
        2,
    )
    # The time comes: 6 of 20 in the test (3 A, 3 B), one B reader opens; two hours later B wins.
    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(scheduled_at=utcnow()))
    session.commit()
    settings = factories.sender_settings(app, cap_messages=100)
    with app.app_context():
        assert send_due(session, settings).sent == 6
    opener = session.scalars(
        select(CampaignRecipient.id).where(CampaignRecipient.variant == "B").order_by(CampaignRecipient.id)
    ).first()
    session.execute(update(CampaignRecipient).where(CampaignRecipient.id == opener).values(first_opened_at=utcnow()))
    session.commit()
    assert decide_due_tests(session, utcnow() + timedelta(hours=2, minutes=1)) == [(campaign_id, "B")]
    with app.app_context():
        assert send_due(session, settings).sent == 14
    assert sum(m["Subject"] == "Тёплая обувь со склада — от 2 дней" for m in mailbox.messages) == 3 + 14

    for width in (1366, 390):
        context, tab = open_tab(browser, live_server, width)
        try:
            sign_in(tab, "marina@mostik.local")
            tab.goto(f"/crm/campaigns/{campaign_id}")
            tab.wait_for_selector("#ab-variants")
            assert "Победитель: тема B" in tab.inner_text("#ab-winner")
            rows = tab.locator("#ab-variants tbody tr")
            assert "3 письма" in rows.nth(0).inner_text() and "0 покупателей" in rows.nth(0).inner_text()
            assert "B — победитель" in rows.nth(1).inner_text() and "1 покупатель" in rows.nth(1).inner_text()
            assert_no_sideways_scroll(tab)
            _russian_only(tab)
            shots(tab, f"{'laptop' if width > 400 else 'phone'}-report")
            tab.goto(f"/crm/campaigns/{campaign_id}/blocks")
            tab.wait_for_selector("main h1")
            assert_no_sideways_scroll(tab)
            if width < 400:
                tab.goto("/crm/campaigns/new")
                tab.check("input[name=ab_test]")
                assert_no_sideways_scroll(tab)
                _russian_only(tab)
                shots(tab, "phone-ab-form")
        finally:
            context.close()

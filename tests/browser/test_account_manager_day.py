"""Issue 18, the account manager's part, in a browser at 1366 and 390 px: the reorder tabs with actions on a row
(a note and a task that come back to the same row), the card's contact links, messengers and tier benefits,
«Мои клиенты» with phones and next tasks, and the buyer's account page saying what their tier and the next give.
Every page: Russian only, no sideways scroll; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.buyers.services import assign_managers
from crm.staff.models import Role
from crm.tiers.services import recalc_tiers, seed_tiers
from crm.workspace.models import Note, Task
from tests.browser.conftest import assert_no_sideways_scroll, open_tab
from tests.support.factories import PASSWORD, create_buyer, days_ago, make_staff, paid_order

pytestmark = pytest.mark.browser

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
#: Latin that belongs on a Russian page: e-mail addresses, usernames and codes, the messenger names.
NOT_ENGLISH = re.compile(r"\S+@\S+|\b[A-Za-z0-9_-]*[\d_][A-Za-z0-9_-]*\b|\b(?:Telegram|WhatsApp)\b")


def english_words(text: str) -> list[str]:
    return LATIN_WORD.findall(NOT_ENGLISH.sub(" ", text))


def _world(session: Session) -> dict[str, int]:
    seed_tiers(session)
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="anna@mostik.local")
    session.commit()
    plan = {
        "lapsed": ("Сергей Лапин", "+79215551201", [("300000.00", 600), ("300000.00", 400)]),
        "risk": ("Мария Орлова", "+79215551202", [("90000.00", 70), ("90000.00", 40)]),
        "buyer": ("Иван Петров", "+79215551234", [("200000.00", 200), ("200000.00", 120), ("150000.00", 30)]),
    }
    ids = {"manager": manager.id}
    for key, (name, phone, orders) in plan.items():
        buyer = create_buyer(session, email=f"{key}@example.ru", name=name, phone=phone, company=key == "risk")
        for amount, days in orders:
            paid_order(session, buyer.id, amount, days_ago(days))
        ids[key] = buyer.id
    session.commit()
    recalc_tiers(session)
    assign_managers(session, [ids["lapsed"], ids["risk"], ids["buyer"]], manager.id)
    session.commit()
    return ids


def _check(tab, width: int) -> None:
    assert_no_sideways_scroll(tab)
    words = english_words(tab.inner_text("main"))
    assert not words, f"English on {tab.url} at {width}px: {words}"


@pytest.mark.parametrize("width", [1366, 390])
def test_an_account_manager_works_the_lists_and_the_card(browser, live_server, shots, session, width) -> None:
    ids = _world(session)
    context, tab = open_tab(browser, live_server, width)
    try:
        tab.goto("/crm/login")
        tab.fill("#email", "anna@mostik.local")
        tab.fill("#password", PASSWORD)
        with tab.expect_navigation():
            tab.get_by_role("button", name="Войти").click()

        # The lapsed tab: nothing in 12 months, sorted by value at risk; a note from the row comes back to it.
        tab.goto("/crm/reorders")
        tab.get_by_role("link", name=re.compile(r"Без покупок за 12 месяцев \(1\)")).click()
        tab.wait_for_selector(f"#buyer-{ids['lapsed']}")
        assert "Сергей Лапин" in tab.inner_text("main") and "Мария Орлова" not in tab.inner_text("main")
        _check(tab, width)
        shots(tab, f"lapsed-tab-{width}")
        actions = tab.locator(".crm-row-actions").first
        actions.locator("summary").click()
        _check(tab, width)
        shots(tab, f"row-actions-open-{width}")
        actions.locator("textarea[name=body]").fill("Перешёл к другому поставщику, вернуться в марте")
        with tab.expect_navigation():
            actions.get_by_role("button", name="Добавить заметку").click()
        assert tab.url.endswith(f"tab=lapsed&page=1#buyer-{ids['lapsed']}")
        assert "Заметка добавлена." in tab.inner_text("main")
        _check(tab, width)

        # The risk tab: a task from the row with its ready defaults (tomorrow 10:00, the buyer's manager).
        tab.get_by_role("link", name=re.compile(r"Под угрозой ухода \(1\)")).click()
        tab.wait_for_selector(f"#buyer-{ids['risk']}")
        actions = tab.locator(".crm-row-actions").first
        actions.locator("summary").click()
        assert actions.get_by_role("link", name="Подготовить повторный заказ").get_attribute("href") == (
            f"/crm/buyers/{ids['risk']}/quotes/prepare"
        )
        with tab.expect_navigation():
            actions.get_by_role("button", name="Создать задачу").click()
        assert "Задача создана." in tab.inner_text("main")
        assert tab.url.endswith(f"#buyer-{ids['risk']}")
        shots(tab, f"risk-tab-after-task-{width}")

        # The card: contact links, messengers typed and saved, what this tier and the next give.
        tab.goto(f"/crm/buyers/{ids['buyer']}")
        tab.fill("#telegram", "@ivan_petrov")
        tab.fill("#whatsapp", "8 921 555-12-34")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Сохранить мессенджеры").click()
        contact = tab.locator("#contact")
        assert contact.get_by_role("link", name="+7 921 555-12-34").first.get_attribute("href") == "tel:+79215551234"
        assert contact.get_by_role("link", name="Telegram: @ivan_petrov").get_attribute("href") == (
            "https://t.me/ivan_petrov"
        )
        assert contact.get_by_role("link", name="WhatsApp: +7 921 555-12-34").get_attribute("href") == (
            "https://wa.me/79215551234"
        )
        main = tab.inner_text("main").replace("\u00a0", " ")
        assert "Серебро даёт" in main and "Золото даст" in main and "Персональный менеджер" in main
        assert "до уровня Золото осталось 650 000 ₽" in main
        _check(tab, width)
        shots(tab, f"buyer-card-{width}")

        # «Мои клиенты»: the phone and the next task on each row.
        tab.goto("/crm/my")
        row = tab.locator(f"#buyer-{ids['risk']}")
        assert row.get_by_role("link", name="+7 921 555-12-02").get_attribute("href") == "tel:+79215551202"
        assert "Позвонить насчёт следующего заказа" in row.inner_text()
        _check(tab, width)
        shots(tab, f"my-clients-{width}")
    finally:
        context.close()
    assert session.scalar(select(Note.body).where(Note.buyer_id == ids["lapsed"])).startswith("Перешёл")
    assert session.scalar(select(Task.assignee_id).where(Task.buyer_id == ids["risk"])) == ids["manager"]


@pytest.mark.parametrize("width", [1366, 390])
def test_the_buyer_sees_what_their_tier_and_the_next_give(browser, live_server, shots, session, width) -> None:
    ids = _world(session)
    context, tab = open_tab(browser, live_server, width)
    try:
        tab.goto("/account/login")
        tab.fill("#email", "buyer@example.ru")
        tab.fill("#password", "correct horse battery")
        with tab.expect_navigation():
            tab.locator("main form button[type=submit]").first.click()
        tab.goto("/account/")
        card = tab.locator("#tier")
        text = card.inner_text().replace("\u00a0", " ")
        assert "Ваш уровень: Серебро" in text and "Что даёт ваш уровень" in text
        assert "Скидка 2 % на товары" in text and "Уровень Золото даёт" in text
        assert "Бесплатная доставка любого заказа" in text and "Персональный менеджер" in text
        assert "до уровня Золото осталось 650 000 ₽" in text
        assert ids["buyer"]
        _check(tab, width)
        shots(tab, f"account-tier-{width}")
    finally:
        context.close()

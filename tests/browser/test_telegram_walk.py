"""A buyer connects Telegram in Chromium (laptop 1366 px and phone 390 px): the profile's Telegram block, the
connect page with the bot link and its QR code, «Start» pressed in the bot (the Bot API stand-in posts the update to
our webhook), the profile saying where offers now go, then «Отключить Telegram». No sideways scroll, no English.
Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_no_sideways_scroll, open_tab
from tests.support.factories import create_buyer
from tests.support.russian import latin_words

pytestmark = pytest.mark.browser
DEEP_LINK = re.compile(r"^https://t\.me/mostik_demo_bot\?start=([A-Za-z0-9_-]+)$")


def _check(tab, shots, step: str) -> None:
    assert_no_sideways_scroll(tab)
    # The bot's /stop command and consent text versions («pd-2026-11») are what they are, not English.
    text = re.sub(r"/stop|\b[a-z]{2}-\d{4}-\d{2}\b", " ", tab.inner_text("main"))
    words = [word for word in latin_words(text) if word != "Telegram"]
    assert words == [], (step, words)
    shots(tab, step)


@pytest.mark.parametrize("width", [1366, 390])
def test_a_buyer_connects_and_disconnects_telegram(browser, tg_app, bot_api, session, shots, width) -> None:
    create_buyer(session, email=f"tg{width}@example.ru")
    session.commit()
    context, tab = open_tab(browser, tg_app.config["LIVE_URL"], width)
    try:
        tab.goto("/account/login")
        tab.fill("#email", f"tg{width}@example.ru")
        tab.fill("#password", "correct horse battery")
        with tab.expect_navigation():
            tab.locator("main form button[type=submit]").last.click()
        tab.goto("/account/#telegram")
        assert "Я согласен получать предложения и новости Мостика в Telegram" in tab.inner_text("main")
        _check(tab, shots, f"{width}-1-profile")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Подключить Telegram").click()
        link = tab.get_by_role("link", name="Открыть бота в Telegram").get_attribute("href")
        token = DEEP_LINK.match(link).group(1)
        assert tab.locator(".telegram-qr svg").is_visible()
        _check(tab, shots, f"{width}-2-connect")

        assert bot_api.press_start(700_000 + width, token, username=f"buyer_{width}") == 200
        tab.goto("/account/#telegram")
        text = tab.inner_text("main")
        assert f"на @buyer_{width}" in text and "Предложения и новости в Telegram" in text
        _check(tab, shots, f"{width}-3-connected")
        with tab.expect_navigation():
            tab.get_by_role("button", name="Отключить Telegram").click()
        assert "Telegram отключён" in tab.inner_text("body")
        assert tab.get_by_role("button", name="Подключить Telegram").is_visible()
        _check(tab, shots, f"{width}-4-disconnected")
    finally:
        context.close()

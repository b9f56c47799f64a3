"""A buyer links Telegram through the bot's deep link; /stop, blocking the bot and the profile button unlink it.

Everything goes through the real pyTelegramBotAPI client to the local Bot API stand-in, and the stand-in posts
the user's updates to the shop's webhook over HTTP, with the secret token header, as Telegram does."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from devtools.telegram_standin import BotApiStandIn
from storefront.account.models import Consent, ConsentKind
from storefront.db import utcnow
from storefront.telegram.client import BotClient, TelegramBlocked, TelegramUnavailable
from storefront.telegram.models import TelegramLink
from storefront.telegram.services import start_link, telegram_consenting
from tests.fixtures.telegram import SECRET
from tests.support.factories import create_buyer
from tests.support.web import csrf_token, login

CHAT = 555_000_111
DEEP_LINK = re.compile(r"https://t\.me/mostik_demo_bot\?start=([A-Za-z0-9_-]+)")


def _signed_in(tg_app: Flask, session: Session, email: str = "buyer@example.ru"):
    create_buyer(session, email=email)
    session.commit()
    client = tg_app.test_client()
    assert login(client, email).status_code == 302
    return client


def _connect(client) -> str:
    page = client.post("/account/telegram/connect", data={"csrf_token": csrf_token(client, "/account/")})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html, "a QR code for a computer user to scan"
    match = DEEP_LINK.search(html)
    assert match, html
    return match.group(1)


def _telegram_consents(session: Session) -> list[Consent]:
    session.expire_all()
    return list(session.scalars(select(Consent).where(Consent.kind == ConsentKind.TELEGRAM)))


def test_pressing_start_with_the_deep_link_links_the_chat_and_records_the_consent(
    tg_app: Flask, session: Session, bot_api: BotApiStandIn
) -> None:
    client = _signed_in(tg_app, session)
    assert "Подключить Telegram" in client.get("/account/").get_data(as_text=True)
    token = _connect(client)

    assert bot_api.press_start(CHAT, token) == 200

    (link,) = session.scalars(select(TelegramLink)).all()
    assert link.chat_id == CHAT and link.username == "anna_buyer" and link.start_token_hash is None
    (consent,) = _telegram_consents(session)
    assert consent.withdrawn_at is None and consent.text_version == "tg-2026-12"
    assert consent.source_page == "telegram:/start"
    assert bot_api.messages_to(CHAT)[-1].startswith("Готово")
    profile = client.get("/account/").get_data(as_text=True)
    assert "@anna_buyer" in profile and "Отключить Telegram" in profile
    assert "Предложения и новости в Telegram" in profile
    assert telegram_consenting(session, [link.buyer_id]) == {link.buyer_id: CHAT}

    # The same link pressed again: nothing new, the bot says so.
    assert bot_api.press_start(CHAT, token) == 200
    assert "Ссылка устарела" in bot_api.messages_to(CHAT)[-1]
    assert len(_telegram_consents(session)) == 1


def test_an_expired_or_made_up_token_links_nothing(tg_app: Flask, session: Session, bot_api: BotApiStandIn) -> None:
    buyer = create_buyer(session)
    session.commit()
    token = start_link(session, buyer.id, utcnow() - timedelta(hours=2))
    session.commit()
    assert bot_api.press_start(CHAT + 1, token) == 200
    assert bot_api.press_start(CHAT + 1, "x" * 32) == 200
    session.expire_all()
    assert session.scalars(select(TelegramLink.chat_id)).all() == [None]
    assert _telegram_consents(session) == []
    assert all("Ссылка устарела" in text for text in bot_api.messages_to(CHAT + 1))


def test_stop_blocking_and_the_profile_button_each_unlink_and_withdraw(
    tg_app: Flask, session: Session, bot_api: BotApiStandIn
) -> None:
    client = _signed_in(tg_app, session)
    for how in ("stop", "blocked", "account"):
        bot_api.press_start(CHAT, _connect(client))
        assert [c.withdrawn_at for c in _telegram_consents(session)][-1] is None
        if how == "stop":
            assert bot_api.send_text(CHAT, "/stop") == 200
            assert "Больше сообщений" in bot_api.messages_to(CHAT)[-1]
        elif how == "blocked":
            assert bot_api.block(CHAT) == 200
        else:
            response = client.post("/account/telegram/disconnect", data={"csrf_token": csrf_token(client, "/account/")})
            assert response.status_code == 303
        session.expire_all()
        link = session.scalars(select(TelegramLink)).one()
        assert (link.chat_id, link.unlink_reason) == (None, how)
        assert all(c.withdrawn_at is not None for c in _telegram_consents(session))
    assert len(_telegram_consents(session)) == 3, "each linking is a consent of its own"


def test_a_message_to_a_chat_that_blocked_the_bot_unlinks_it(
    tg_app: Flask, session: Session, bot_api: BotApiStandIn
) -> None:
    client = _signed_in(tg_app, session)
    bot_api.press_start(CHAT, _connect(client))
    # The user writes to the bot and blocks it before the answer goes out: the answer is refused with 403.
    bot_api.blocked.add(CHAT)
    update = {
        "update_id": 77,
        "message": {"message_id": 9, "chat": {"id": CHAT, "type": "private"}, "date": 0, "text": "привет"},
    }
    response = tg_app.test_client().post(
        "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert response.status_code == 200
    session.expire_all()
    assert session.scalars(select(TelegramLink.unlink_reason)).one() == "blocked"


def test_one_telegram_account_is_linked_to_one_buyer_at_a_time(
    tg_app: Flask, session: Session, bot_api: BotApiStandIn
) -> None:
    first = _signed_in(tg_app, session, "first@example.ru")
    second = _signed_in(tg_app, session, "second@example.ru")
    bot_api.press_start(CHAT, _connect(first))
    bot_api.press_start(CHAT, _connect(second))
    session.expire_all()
    links = {link.buyer_id: link.chat_id for link in session.scalars(select(TelegramLink))}
    assert sorted(links.values(), key=str) == [CHAT, None]
    assert len([c for c in _telegram_consents(session) if c.withdrawn_at is None]) == 1


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"update_id": 1}, 403),
        ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {"update_id": 1}, 403),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, ["not", "an", "update"], 400),
        ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, {"message": {"text": "/stop"}}, 400),
    ],
)
def test_the_webhook_refuses_what_is_not_telegram(tg_app: Flask, session: Session, headers, body, status) -> None:
    response = tg_app.test_client().post("/telegram/webhook", json=body, headers=headers)
    assert response.status_code == status
    assert session.scalars(select(TelegramLink)).all() == []


def test_a_deeply_nested_update_is_refused(tg_app: Flask) -> None:
    body = '{"update_id": 1, "message": ' + "[" * 5000 + "]" * 5000 + "}"
    response = tg_app.test_client().post(
        "/telegram/webhook",
        data=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_without_a_bot_token_there_is_no_telegram(app: Flask, session: Session) -> None:
    create_buyer(session)
    session.commit()
    client = app.test_client()
    login(client)
    assert "Telegram" not in client.get("/account/").get_data(as_text=True)
    assert client.post("/telegram/webhook", json={"update_id": 1}).status_code == 404


def test_the_client_turns_bot_api_refusals_into_our_errors(bot_api: BotApiStandIn) -> None:
    bot = BotClient(bot_api.token, bot_api.api_url, 2.0)
    with pytest.raises(TelegramBlocked):
        bot.send_text(777, "никто не открывал чат")  # «Bad Request: chat not found»
    bot_api.known_chats.add(778)
    bot_api.blocked.add(778)
    with pytest.raises(TelegramBlocked):
        bot.send_text(778, "заблокирован")  # 403
    bot_api.blocked.discard(778)
    bot_api.flood_until = 10**12
    try:
        with pytest.raises(TelegramUnavailable):
            bot.send_text(778, "слишком часто")  # 429
    finally:
        bot_api.flood_until = 0
    assert bot.send_text(778, "дошло") > 0
    assert bot.username() == "mostik_demo_bot"
    dead = BotClient(bot_api.token, "http://127.0.0.1:9", 1.0)
    with pytest.raises(TelegramUnavailable):
        dead.send_text(778, "нет сети")
    BotClient(bot_api.token, bot_api.api_url, 2.0)  # restore the module-wide address for the next tests


def test_set_webhook_command(tg_app: Flask, bot_api: BotApiStandIn) -> None:
    runner = tg_app.test_cli_runner()
    old = bot_api.webhook_url
    try:
        refused = runner.invoke(args=["telegram", "set-webhook", "ftp://example.ru/hook"])
        assert refused.exit_code == 2 and "https://" in refused.output
        result = runner.invoke(args=["telegram", "set-webhook", "https://shop.example.ru/telegram/webhook"])
        assert result.exit_code == 0, result.output
        assert "Вебхук установлен" in result.output
        assert bot_api.webhook_url == "https://shop.example.ru/telegram/webhook" and bot_api.webhook_secret == SECRET
    finally:
        bot_api.webhook_url = old


def test_the_link_is_in_the_data_export_and_goes_with_erasure(
    tg_app: Flask, session: Session, bot_api: BotApiStandIn
) -> None:
    from storefront.privacy.erasure import erase_buyer
    from storefront.privacy.export import build_export
    from storefront.privacy.parts import parts_of

    client = _signed_in(tg_app, session)
    bot_api.press_start(CHAT, _connect(client))
    session.expire_all()
    buyer_id = session.scalars(select(TelegramLink.buyer_id)).one()
    parts = parts_of(tg_app)
    export = build_export(session, buyer_id, {}, parts)
    assert export["telegram"]["chat_id"] == CHAT and export["telegram"]["username"] == "anna_buyer"
    assert erase_buyer(session, buyer_id, parts)
    session.commit()
    assert session.scalars(select(TelegramLink)).all() == []

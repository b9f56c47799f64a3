"""A campaign on the Telegram channel: the segment's buyers with a linked chat and the Telegram consent, one message
each through the real Bot API client to the stand-in, the frequency cap shared with e-mail, a chat that blocked
the bot skipped and unlinked, and nothing lost when the Bot API is down."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.campaigns.models import CampaignRecipient, Channel
from crm.campaigns.sending import send_due
from crm.campaigns.services import schedule_campaign
from devtools.telegram_standin import BotApiStandIn
from storefront.db import utcnow
from storefront.telegram.models import TelegramLink
from storefront.telegram.services import start_link
from tests.support import factories

CR = CampaignRecipient


def _linked(session: Session, bot_api: BotApiStandIn, email: str, name: str, chat_id: int) -> int:
    """A buyer with an e-mail consent who also pressed Start in the bot (through the webhook)."""
    buyer = factories.create_recipient(session, email, name)
    token = start_link(session, buyer.id, utcnow())
    session.commit()
    assert bot_api.press_start(chat_id, token) == 200
    return buyer.id


def test_a_telegram_campaign_reaches_linked_chats_only(tg_app: Flask, session: Session, bot_api: BotApiStandIn) -> None:
    anna = _linked(session, bot_api, "anna@example.ru", "Анна Смирнова", 9001)
    boris = _linked(session, bot_api, "boris@example.ru", "Борис Иванов", 9002)
    stopped = _linked(session, bot_api, "vera@example.ru", "Вера Петрова", 9003)
    bot_api.send_text(9003, "/stop")
    factories.create_recipient(session, "gleb@example.ru", "Глеб Орлов")  # e-mail only
    bot_api.blocked.add(9002)  # Boris blocks the bot; the update about it is lost
    campaign = factories.create_campaign(session, channel=Channel.TELEGRAM, advertiser="ООО «Мостик», ИНН 7707083893")
    session.commit()
    schedule_campaign(session, campaign, utcnow(), utcnow())
    session.commit()
    bot = tg_app.extensions["telegram_bot"]

    with tg_app.app_context():
        result = send_due(session, factories.sender_settings(tg_app, cap_messages=100), bot=bot)

    assert (result.sent, result.skipped) == (1, 1)
    rows = {row.buyer_id: row for row in session.scalars(select(CR).where(CR.campaign_id == campaign.id))}
    assert set(rows) == {anna, boris}, "no row for the /stop buyer or the e-mail-only one"
    assert rows[anna].status == "sent" and rows[anna].chat_id == 9001
    assert rows[boris].status == "skipped" and "blocked" in rows[boris].last_error
    session.expire_all()
    assert session.scalar(select(TelegramLink.unlink_reason).where(TelegramLink.buyer_id == boris)) == "blocked"
    assert stopped not in rows
    (text,) = [t for t in bot_api.messages_to(9001) if "скидки на обувь" in t]
    assert text.startswith("Анна, скидки на обувь\n\nЗдравствуйте, Анна!")
    assert re.search(r"/c/c/[\w.-]+", text), "links go through the click redirect, as in e-mail"
    assert "Реклама. Рекламодатель: ООО «Мостик», ИНН 7707083893." in text
    assert text.endswith("Чтобы не получать такие сообщения, отправьте /stop.")

    # The next run finds nothing more to send: one message per recipient.
    with tg_app.app_context():
        assert send_due(session, factories.sender_settings(tg_app, cap_messages=100), bot=bot).sent == 0
    assert len([t for t in bot_api.messages_to(9001) if "скидки на обувь" in t]) == 1


def test_when_the_bot_api_is_down_the_rows_wait_and_go_later(
    tg_app: Flask, session: Session, bot_api: BotApiStandIn
) -> None:
    anna = _linked(session, bot_api, "anna@example.ru", "Анна Смирнова", 9101)
    campaign = factories.create_campaign(session, channel=Channel.TELEGRAM)
    session.commit()
    schedule_campaign(session, campaign, utcnow(), utcnow())
    session.commit()
    bot = tg_app.extensions["telegram_bot"]
    settings = factories.sender_settings(tg_app, cap_messages=100)
    bot_api.flood_until = 10**12  # 429 Too Many Requests
    try:
        with tg_app.app_context():
            assert send_due(session, settings, bot=bot).sent == 0
        row = session.scalars(select(CR).where(CR.buyer_id == anna)).one()
        assert (row.status, row.attempts) == ("pending", 0), "released, no attempt used up"
    finally:
        bot_api.flood_until = 0
    with tg_app.app_context():
        assert send_due(session, settings, bot=bot).sent == 1
    # Without a bot (Telegram not configured) a Telegram campaign waits instead of failing.
    with tg_app.app_context():
        assert send_due(session, settings, bot=None).sent == 0


def test_the_frequency_cap_counts_both_channels(tg_app: Flask, session: Session, bot_api: BotApiStandIn) -> None:
    anna = _linked(session, bot_api, "anna@example.ru", "Анна Смирнова", 9201)
    by_mail = factories.create_campaign(session, name="Письмо")
    by_telegram = factories.create_campaign(session, name="В Telegram", channel=Channel.TELEGRAM)
    session.commit()
    for campaign in (by_mail, by_telegram):
        schedule_campaign(session, campaign, utcnow(), utcnow())
    session.commit()
    with tg_app.app_context():
        result = send_due(
            session, factories.sender_settings(tg_app, cap_messages=1), bot=tg_app.extensions["telegram_bot"]
        )
    assert (result.sent, result.capped) == (1, 1)
    statuses = sorted(session.scalars(select(CR.status).where(CR.buyer_id == anna)))
    assert statuses == ["capped", "sent"]


def test_the_channel_is_offered_only_when_a_bot_is_configured(app: Flask, tg_app: Flask, session: Session) -> None:
    from tests.support.web import crm_login

    factories.make_staff(session, "marketer")
    session.commit()
    with_bot, without = tg_app.test_client(), app.test_client()
    for client in (with_bot, without):
        crm_login(client, "marketer@mostik.local")
    assert 'value="telegram"' in with_bot.get("/crm/campaigns/new").get_data(as_text=True)
    page = without.get("/crm/campaigns/new").get_data(as_text=True)
    assert 'value="telegram"' not in page and "По электронной почте" in page


def test_a_block_campaign_goes_to_telegram_as_its_text_part(
    tg_app: Flask, session: Session, bot_api: BotApiStandIn
) -> None:
    _linked(session, bot_api, "anna@example.ru", "Анна Смирнова", 9301)
    blocks = [
        {"type": "heading", "text": "{{ buyer.first_name }}, зима близко"},
        {"type": "text", "text": "Тёплые куртки оптом."},
        {"type": "button", "label": "В каталог", "url": "https://mostik.example/catalog/kurtki"},
    ]
    campaign = factories.create_campaign(session, channel=Channel.TELEGRAM, use_blocks=True, start_blocks=blocks)
    session.commit()
    schedule_campaign(session, campaign, utcnow(), utcnow())
    session.commit()
    with tg_app.app_context():
        settings = factories.sender_settings(tg_app, cap_messages=100)
        assert send_due(session, settings, bot=tg_app.extensions["telegram_bot"]).sent == 1
    (text,) = bot_api.messages_to(9301)[-1:]
    assert "Анна, зима близко" in text and "Тёплые куртки оптом." in text and "В каталог" in text
    assert "<" not in text, "the text part, not HTML"
    assert re.search(r"/c/c/[\w.-]+", text), "the button's link goes through the click redirect"

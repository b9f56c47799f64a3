"""Automatic campaigns: abandoned cart fires once per cart, tier upgrade once per change, reorder reminder and
win-back once per expected order date; consent, the per-buyer frequency cap and quiet hours (Moscow: deferred,
not dropped); default links on the app's PUBLIC_BASE_URL."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign, CampaignRecipient, RecipientStatus
from crm.campaigns.sending import in_quiet_hours, quiet_hours_end, send_due
from crm.campaigns.services import schedule_campaign
from crm.campaigns.triggers import TRIGGERS, ensure_trigger_campaigns, queue_triggers, update_trigger
from crm.reorder.models import BuyerStats, ReorderStatus
from crm.tiers.models import TierChange
from storefront.account.models import Buyer, Tier
from storefront.cart.models import Cart, CartLine
from storefront.db import utcnow
from tests.support import factories
from tests.support.factories import create_shop, make_staff
from tests.support.web import crm_csrf, crm_login

# 12:00 Moscow: outside quiet hours.
NOON = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


BASE = "https://shop.example.ru"


def _switch_on(session: Session, kind: str, at: datetime, hours: int | None = None, days: int | None = None) -> None:
    subject, body_html, body_text = TRIGGERS[kind].message(BASE)
    update_trigger(
        session,
        kind,
        enabled=True,
        hours=hours,
        days=days,
        subject=subject,
        body_html=body_html,
        body_text=body_text,
        now=at,
        base_url=BASE,
    )


def _cart(session: Session, buyer_id: int, product_id: int, added_at: datetime) -> Cart:
    cart = Cart(token=secrets.token_hex(16), buyer_id=buyer_id)
    session.add(cart)
    session.flush()
    session.add(CartLine(cart_id=cart.id, product_id=product_id, quantity=2, added_at=added_at))
    session.commit()
    return cart


def _rows(session: Session) -> list[CampaignRecipient]:
    session.expire_all()
    return list(session.scalars(select(CampaignRecipient).order_by(CampaignRecipient.id)))


def test_an_abandoned_cart_mail_goes_once_per_cart_and_only_with_consent(app: Flask, session: Session, mailbox) -> None:
    product = create_shop(session)
    anna = factories.create_recipient(session, "anna@example.ru", "Анна Смирнова")
    boris = factories.create_recipient(session, "boris@example.ru", "Борис Иванов", marketing=False)
    _switch_on(session, "abandoned_cart", NOON - timedelta(days=2), hours=24)
    _cart(session, anna.id, product.id, NOON - timedelta(hours=30))
    _cart(session, boris.id, product.id, NOON - timedelta(hours=30))
    fresh = factories.create_recipient(session, "vera@example.ru", "Вера Котова")
    _cart(session, fresh.id, product.id, NOON - timedelta(hours=2))  # not idle long enough yet
    settings = factories.sender_settings(app)
    with app.app_context():
        assert queue_triggers(session, settings, NOON) == 1
        assert queue_triggers(session, settings, NOON + timedelta(minutes=5)) == 0
        send_due(session, settings, NOON)
        send_due(session, settings, NOON + timedelta(hours=1))
    assert [m["To"] for m in mailbox.messages] == ["anna@example.ru"]
    assert mailbox.messages[0]["Subject"] == "Анна, товары ждут вас в корзине"
    assert mailbox.messages[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_cart_that_was_idle_before_the_trigger_was_switched_on_is_not_mailed(app: Flask, session: Session) -> None:
    product = create_shop(session)
    anna = factories.create_recipient(session, "anna@example.ru")
    _cart(session, anna.id, product.id, NOON - timedelta(days=10))
    _switch_on(session, "abandoned_cart", NOON - timedelta(days=1), hours=24)
    with app.app_context():
        assert queue_triggers(session, factories.sender_settings(app), NOON) == 0


def test_a_tier_upgrade_congratulation_fires_once_per_upgrade(app: Flask, session: Session, mailbox) -> None:
    anna = factories.create_recipient(session, "anna@example.ru", "Анна Смирнова")
    base = Tier(code="base", name="Базовый", position=0, threshold_amount=Decimal("0"))
    gold = Tier(code="gold", name="Золото", position=2, threshold_amount=Decimal("1000000"))
    session.add_all([base, gold])
    session.flush()
    anna.tier_id = gold.id
    _switch_on(session, "tier_upgrade", NOON - timedelta(hours=3))
    session.add_all(
        [
            TierChange(
                buyer_id=anna.id,
                old_tier_id=base.id,
                new_tier_id=gold.id,
                spend_12m=Decimal("1000000"),
                reason="payment",
                created_at=NOON - timedelta(hours=1),
            ),
            TierChange(
                buyer_id=anna.id,
                old_tier_id=gold.id,
                new_tier_id=base.id,
                spend_12m=Decimal("0"),
                reason="recalc",
                created_at=NOON - timedelta(minutes=30),
            ),
        ]
    )
    session.commit()
    settings = factories.sender_settings(app)
    with app.app_context():
        assert queue_triggers(session, settings, NOON) == 1  # the downgrade is no news
        assert queue_triggers(session, settings, NOON) == 0
        send_due(session, settings, NOON)
    assert [m["Subject"] for m in mailbox.messages] == ["Поздравляем: ваш уровень теперь Золото"]


def test_the_frequency_cap_holds_across_campaigns(app: Flask, session: Session, mailbox) -> None:
    product = create_shop(session)
    anna = factories.create_recipient(session, "anna@example.ru")
    settings = factories.sender_settings(app, cap_messages=2, cap_days=7)
    for name in ("Первая", "Вторая", "Третья"):
        campaign = factories.create_campaign(session, name=name)
        schedule_campaign(session, campaign, utcnow(), utcnow())
        with app.app_context():
            send_due(session, settings)
    assert len(mailbox.messages) == 2
    assert [r.status for r in _rows(session)] == [RecipientStatus.SENT, RecipientStatus.SENT, RecipientStatus.CAPPED]
    # A trigger is capped too.
    now = utcnow()
    _switch_on(session, "abandoned_cart", now - timedelta(days=2), hours=1)
    _cart(session, anna.id, product.id, now - timedelta(hours=3))
    with app.app_context():
        queue_triggers(session, settings, now)
        # A moment outside the quiet hours whatever the time of the run (a minute before they start included).
        moment = now + timedelta(minutes=1)
        if in_quiet_hours(moment, settings):
            moment = (quiet_hours_end(moment, settings) or moment) + timedelta(minutes=1)
        send_due(session, settings, moment)
    assert len(mailbox.messages) == 2
    assert _rows(session)[-1].status == RecipientStatus.CAPPED


def test_quiet_hours_defer_trigger_mail_to_the_morning_in_moscow(app: Flask, session: Session, mailbox) -> None:
    product = create_shop(session)
    anna = factories.create_recipient(session, "anna@example.ru")
    late = datetime(2026, 11, 26, 20, 30, tzinfo=UTC)  # 23:30 Moscow
    settings = factories.sender_settings(app)
    assert in_quiet_hours(late, settings) and not in_quiet_hours(NOON, settings)
    morning = quiet_hours_end(late, settings)
    assert morning == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # 09:00 Moscow
    _switch_on(session, "abandoned_cart", late - timedelta(days=2), hours=24)
    _cart(session, anna.id, product.id, late - timedelta(hours=25))
    with app.app_context():
        assert queue_triggers(session, settings, late) == 1
        send_due(session, settings, late)
        send_due(session, settings, morning - timedelta(minutes=1))
        assert mailbox.messages == []
        send_due(session, settings, morning + timedelta(minutes=1))
    assert len(mailbox.messages) == 1


def _stats(session: Session, buyer: Buyer, expected: datetime, status: ReorderStatus) -> None:
    """The reorder statistics crm.reorder keeps for a buyer: set here directly (the state the trigger reads)."""
    row = session.get(BuyerStats, buyer.id) or BuyerStats(buyer_id=buyer.id)
    row.order_count = 2
    row.last_paid_at = expected - timedelta(days=30)
    row.median_interval_days = 30.0
    row.expected_next_at = expected
    row.status = status
    row.status_since = NOON - timedelta(days=1)
    session.add(row)
    session.commit()


def test_a_reorder_reminder_goes_days_before_the_expected_order_once_per_expected_date(
    app: Flask, session: Session, mailbox
) -> None:
    anna = factories.create_recipient(session, "anna@example.ru", "Анна Смирнова")
    boris = factories.create_recipient(session, "boris@example.ru", "Борис Иванов", marketing=False)
    vera = factories.create_recipient(session, "vera@example.ru", "Вера Котова")
    gleb = factories.create_recipient(session, "gleb@example.ru", "Глеб Орлов")
    _stats(session, anna, NOON + timedelta(days=3), ReorderStatus.DUE)
    _stats(session, boris, NOON + timedelta(days=3), ReorderStatus.DUE)  # no consent
    _stats(session, vera, NOON + timedelta(days=12), ReorderStatus.ACTIVE)  # not within 7 days yet
    _stats(session, gleb, NOON - timedelta(days=2), ReorderStatus.OVERDUE)  # already past: win-back's business
    _switch_on(session, "reorder_reminder", NOON - timedelta(days=1))
    settings = factories.sender_settings(app)
    with app.app_context():
        assert queue_triggers(session, settings, NOON) == 1
        assert queue_triggers(session, settings, NOON + timedelta(hours=1)) == 0
        send_due(session, settings, NOON)
        send_due(session, settings, NOON + timedelta(hours=2))
    assert [m["To"] for m in mailbox.messages] == ["anna@example.ru"]
    assert mailbox.messages[0]["Subject"] == "Анна, пора пополнить запасы"
    assert [r.occasion for r in _rows(session)] == [f"reorder:{int((NOON + timedelta(days=3)).timestamp())}"]

    # Anna orders again: a new expected date is a new episode; the wider window (10 days) now takes Vera too.
    _stats(session, anna, NOON + timedelta(days=33), ReorderStatus.ACTIVE)
    later = NOON + timedelta(days=27)
    with app.app_context():
        assert queue_triggers(session, settings, later) == 1
        assert queue_triggers(session, settings, later) == 0
    assert [r.buyer_id for r in _rows(session)] == [anna.id, anna.id]
    _switch_on(session, "reorder_reminder", later, days=10)  # already on: the window changes, nothing else
    with app.app_context():
        assert queue_triggers(session, settings, NOON + timedelta(days=2)) == 1
    assert [r.buyer_id for r in _rows(session)] == [anna.id, anna.id, vera.id]


def test_win_back_goes_to_overdue_and_lapsed_buyers_once_per_episode(app: Flask, session: Session, mailbox) -> None:
    anna = factories.create_recipient(session, "anna@example.ru", "Анна Смирнова")
    boris = factories.create_recipient(session, "boris@example.ru", "Борис Иванов", marketing=False)
    vera = factories.create_recipient(session, "vera@example.ru", "Вера Котова")
    gleb = factories.create_recipient(session, "gleb@example.ru", "Глеб Орлов")
    dina = factories.create_recipient(session, "dina@example.ru", "Дина Белова")
    _switch_on(session, "win_back", NOON - timedelta(days=60))
    _stats(session, anna, NOON - timedelta(days=5), ReorderStatus.OVERDUE)
    _stats(session, boris, NOON - timedelta(days=5), ReorderStatus.OVERDUE)  # no consent
    _stats(session, vera, NOON - timedelta(days=40), ReorderStatus.LAPSED)
    _stats(session, gleb, NOON + timedelta(days=3), ReorderStatus.DUE)  # not late
    _stats(session, dina, NOON - timedelta(days=90), ReorderStatus.LAPSED)  # late before the trigger was on
    settings = factories.sender_settings(app, cap_messages=10)
    with app.app_context():
        assert queue_triggers(session, settings, NOON) == 2
        assert queue_triggers(session, settings, NOON + timedelta(days=1)) == 0
        send_due(session, settings, NOON + timedelta(days=1))
    assert sorted(m["To"] for m in mailbox.messages) == ["anna@example.ru", "vera@example.ru"]
    assert {m["Subject"] for m in mailbox.messages} == {
        "Анна, мы скучаем по вашим заказам",
        "Вера, мы скучаем по вашим заказам",
    }

    # Anna goes from overdue to lapsed: the same episode, no second mail.
    _stats(session, anna, NOON - timedelta(days=5), ReorderStatus.LAPSED)
    with app.app_context():
        assert queue_triggers(session, settings, NOON + timedelta(days=2)) == 0
    # Anna orders, then misses her new expected date: a new episode.
    _stats(session, anna, NOON + timedelta(days=20), ReorderStatus.OVERDUE)
    with app.app_context():
        assert queue_triggers(session, settings, NOON + timedelta(days=25)) == 1
        send_due(session, settings, NOON + timedelta(days=25))
    assert sorted(m["To"] for m in mailbox.messages) == ["anna@example.ru", "anna@example.ru", "vera@example.ru"]


def test_default_trigger_messages_link_to_the_public_base_url(app: Flask, session: Session, mailbox) -> None:
    campaigns = ensure_trigger_campaigns(session, "https://shop.example.ru/")
    assert set(campaigns) == set(TRIGGERS)
    for campaign in campaigns.values():
        assert "127.0.0.1" not in campaign.body_html + campaign.body_text
        assert "{shop}" not in campaign.body_html + campaign.body_text
    assert 'href="https://shop.example.ru/cart"' in campaigns["abandoned_cart"].body_html
    assert "https://shop.example.ru/account/orders" in campaigns["reorder_reminder"].body_text
    assert campaigns["reorder_reminder"].trigger_params == {"days": 7}


def test_a_marketer_sets_the_reminder_window_and_a_bad_one_is_refused(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    make_staff(session, "marketer")
    session.commit()
    assert crm_login(client, "marketer@mostik.local").status_code == 302
    html = client.get("/crm/campaigns/triggers").get_data(as_text=True)
    for label in ("Напоминание о повторном заказе", "Возврат ушедших покупателей", "За сколько дней"):
        assert label in html
    assert app.config["PUBLIC_BASE_URL"].rstrip("/") + "/account/orders" in html
    csrf = crm_csrf(client, "/crm/campaigns/triggers")
    subject, body_html, body_text = TRIGGERS["reorder_reminder"].message(BASE)
    form = {
        "csrf_token": csrf,
        "reorder_reminder-csrf_token": csrf,
        "reorder_reminder-enabled": "on",
        "reorder_reminder-subject": subject,
        "reorder_reminder-body_html": body_html,
        "reorder_reminder-body_text": body_text,
    }

    def saved() -> Campaign:
        session.expire_all()
        return session.scalars(select(Campaign).where(Campaign.trigger == "reorder_reminder")).one()

    assert (
        client.post("/crm/campaigns/triggers/reorder_reminder", data={**form, "reorder_reminder-days": "0"}).status_code
        == 400
    )
    assert not saved().trigger_enabled and saved().trigger_params == {"days": 7}
    assert (
        client.post(
            "/crm/campaigns/triggers/reorder_reminder", data={**form, "reorder_reminder-days": "10"}
        ).status_code
        == 303
    )
    assert saved().trigger_enabled and saved().trigger_params["days"] == 10

"""Automatic campaigns: abandoned cart fires once per cart, tier upgrade once per change; consent, the
per-buyer frequency cap and quiet hours (Moscow: deferred, not dropped)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.campaigns.models import CampaignRecipient, RecipientStatus
from crm.campaigns.sending import in_quiet_hours, quiet_hours_end, send_due
from crm.campaigns.services import schedule_campaign
from crm.campaigns.triggers import TRIGGERS, queue_triggers, update_trigger
from crm.tiers.models import TierChange
from storefront.account.models import Tier
from storefront.cart.models import Cart, CartLine
from storefront.db import utcnow
from tests.crm import campaign_support as cs
from tests.factories import create_shop

# 12:00 Moscow: outside quiet hours.
NOON = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _switch_on(session: Session, kind: str, at: datetime, hours: int | None = None) -> None:
    spec = TRIGGERS[kind]
    update_trigger(
        session,
        kind,
        enabled=True,
        hours=hours,
        subject=spec.subject,
        body_html=spec.body_html,
        body_text=spec.body_text,
        now=at,
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
    anna = cs.buyer(session, "anna@example.ru", "Анна Смирнова")
    boris = cs.buyer(session, "boris@example.ru", "Борис Иванов", marketing=False)
    _switch_on(session, "abandoned_cart", NOON - timedelta(days=2), hours=24)
    _cart(session, anna.id, product.id, NOON - timedelta(hours=30))
    _cart(session, boris.id, product.id, NOON - timedelta(hours=30))
    fresh = cs.buyer(session, "vera@example.ru", "Вера Котова")
    _cart(session, fresh.id, product.id, NOON - timedelta(hours=2))  # not idle long enough yet
    settings = cs.settings(app)
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
    anna = cs.buyer(session, "anna@example.ru")
    _cart(session, anna.id, product.id, NOON - timedelta(days=10))
    _switch_on(session, "abandoned_cart", NOON - timedelta(days=1), hours=24)
    with app.app_context():
        assert queue_triggers(session, cs.settings(app), NOON) == 0


def test_a_tier_upgrade_congratulation_fires_once_per_upgrade(app: Flask, session: Session, mailbox) -> None:
    anna = cs.buyer(session, "anna@example.ru", "Анна Смирнова")
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
    settings = cs.settings(app)
    with app.app_context():
        assert queue_triggers(session, settings, NOON) == 1  # the downgrade is no news
        assert queue_triggers(session, settings, NOON) == 0
        send_due(session, settings, NOON)
    assert [m["Subject"] for m in mailbox.messages] == ["Поздравляем: ваш уровень теперь Золото"]


def test_the_frequency_cap_holds_across_campaigns(app: Flask, session: Session, mailbox) -> None:
    product = create_shop(session)
    anna = cs.buyer(session, "anna@example.ru")
    settings = cs.settings(app, cap_messages=2, cap_days=7)
    for name in ("Первая", "Вторая", "Третья"):
        campaign = cs.campaign(session, name=name)
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
        send_due(session, settings, (quiet_hours_end(now, settings) or now) + timedelta(minutes=1))
    assert len(mailbox.messages) == 2
    assert _rows(session)[-1].status == RecipientStatus.CAPPED


def test_quiet_hours_defer_trigger_mail_to_the_morning_in_moscow(app: Flask, session: Session, mailbox) -> None:
    product = create_shop(session)
    anna = cs.buyer(session, "anna@example.ru")
    late = datetime(2026, 11, 26, 20, 30, tzinfo=UTC)  # 23:30 Moscow
    settings = cs.settings(app)
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

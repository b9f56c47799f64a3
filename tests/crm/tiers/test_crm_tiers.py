"""Tier assignment: upgrade on the paid-order signal, grace before a downgrade, refunds, the 12-month window."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from crm.tiers.models import TierChange
from crm.tiers.rules import window_start
from crm.tiers.services import (
    ManualTierError,
    buyer_spend,
    recalc_tiers,
    seed_tiers,
    set_manual_tier,
    upgrade_on_payment,
)
from storefront.account.models import Buyer, Consent, Tier
from storefront.db import utcnow
from storefront.events import order_paid
from storefront.order.models import Order
from storefront.payment.models import Payment, Refund
from tests.support.factories import create_buyer, days_ago, paid_order


def _tier_code(session: Session, buyer_id: int) -> str | None:
    session.expire_all()
    buyer = session.get(Buyer, buyer_id)
    return buyer.tier.code if buyer.tier else None


@pytest.fixture
def buyer_id(session: Session) -> int:
    seed_tiers(session)
    buyer = create_buyer(session)
    session.commit()
    return buyer.id


def test_seed_tiers_adds_the_four_defaults_once(session: Session) -> None:
    assert seed_tiers(session) == 4
    assert seed_tiers(session) == 0
    tiers = session.scalars(select(Tier).order_by(Tier.threshold_amount)).all()
    assert [(t.name, t.threshold_amount) for t in tiers] == [
        ("Стандарт", Decimal("0.00")),
        ("Серебро", Decimal("300000.00")),
        ("Золото", Decimal("1200000.00")),
        ("Платина", Decimal("3000000.00")),
    ]


def test_a_payment_over_the_threshold_upgrades_at_once_through_the_signal(
    app: Flask, session: Session, buyer_id: int
) -> None:
    order = paid_order(session, buyer_id, "350000.00")
    session.commit()  # the receivers run in the app's own session
    with app.app_context():
        order_paid.send(
            None, order_id=order.id, number=order.number, amount=Decimal("350000.00"), buyer_id=buyer_id, payment_id=1
        )
    assert _tier_code(session, buyer_id) == "silver"
    change = session.scalar(select(TierChange))
    assert (change.new_tier.code, change.spend_12m, change.reason) == ("silver", Decimal("350000.00"), "payment")
    assert change.old_tier is None


def test_a_payment_never_downgrades(session: Session, buyer_id: int) -> None:
    gold = session.scalar(select(Tier).where(Tier.code == "gold"))
    session.get(Buyer, buyer_id).tier_id = gold.id
    session.commit()
    paid_order(session, buyer_id, "1000.00")
    assert upgrade_on_payment(session, buyer_id) is None
    assert _tier_code(session, buyer_id) == "gold"


def test_refunds_lower_the_spend(session: Session, buyer_id: int) -> None:
    paid_order(session, buyer_id, "400000.00", refunded="150000.00")
    assert buyer_spend(session, buyer_id, window_start(utcnow())) == Decimal("250000.00")
    upgrade_on_payment(session, buyer_id)
    assert _tier_code(session, buyer_id) == "standard"


def test_the_window_counts_365_days_but_not_366(session: Session, buyer_id: int) -> None:
    now = utcnow()
    paid_order(session, buyer_id, "100.00", paid_at=now - timedelta(days=365))
    paid_order(session, buyer_id, "7.00", paid_at=now - timedelta(days=366))
    assert buyer_spend(session, buyer_id, window_start(now)) == Decimal("100.00")
    assert buyer_spend(session, buyer_id, None) == Decimal("107.00")


def test_recalc_keeps_the_tier_inside_the_grace_period_and_downgrades_after_it(session: Session, buyer_id: int) -> None:
    start = utcnow()
    paid_order(session, buyer_id, "400000.00", paid_at=start - timedelta(days=300))
    recalc_tiers(session, now=start)
    assert _tier_code(session, buyer_id) == "silver"

    # 70 days later the payment is 370 days old: spend 0, below Серебро since then.
    below = start + timedelta(days=70)
    result = recalc_tiers(session, now=below)
    assert (result.downgraded, result.in_grace) == (0, 1)
    assert _tier_code(session, buyer_id) == "silver"
    recalc_tiers(session, now=below + timedelta(days=29))
    assert _tier_code(session, buyer_id) == "silver"

    result = recalc_tiers(session, now=below + timedelta(days=30))
    assert result.downgraded == 1
    assert _tier_code(session, buyer_id) == "standard"
    last = session.scalars(select(TierChange).order_by(TierChange.id.desc())).first()
    assert (last.old_tier.code, last.new_tier.code, last.reason) == ("silver", "standard", "recalc: grace over")
    assert session.get(BuyerProfile, buyer_id).below_since is None


def test_spend_recovering_inside_the_grace_period_stops_the_clock(session: Session, buyer_id: int) -> None:
    start = utcnow()
    paid_order(session, buyer_id, "400000.00", paid_at=start - timedelta(days=360))
    recalc_tiers(session, now=start)
    recalc_tiers(session, now=start + timedelta(days=10))
    assert session.get(BuyerProfile, buyer_id).below_since is not None
    paid_order(session, buyer_id, "300000.00", paid_at=start + timedelta(days=11))
    recalc_tiers(session, now=start + timedelta(days=12))
    session.expire_all()
    assert session.get(BuyerProfile, buyer_id).below_since is None
    recalc_tiers(session, now=start + timedelta(days=45))
    assert _tier_code(session, buyer_id) == "silver"


def test_recalc_is_idempotent(session: Session, buyer_id: int) -> None:
    paid_order(session, buyer_id, "1300000.00")
    now = utcnow()
    first = recalc_tiers(session, now=now)
    changes = session.scalar(select(func.count()).select_from(TierChange))
    second = recalc_tiers(session, now=now + timedelta(seconds=1))
    assert first.upgraded == 1
    assert (second.upgraded, second.downgraded) == (0, 0)
    assert session.scalar(select(func.count()).select_from(TierChange)) == changes
    assert _tier_code(session, buyer_id) == "gold"


PAYMENTS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=11),  # which buyer
        st.integers(min_value=1, max_value=150_000_000),  # kopecks
        st.integers(min_value=0, max_value=500),  # days ago
        st.booleans(),  # half refunded
    ),
    max_size=25,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payments=PAYMENTS)
def test_recalc_equals_the_incremental_result_on_random_data(session: Session, payments: list) -> None:
    for model in (TierChange, BuyerProfile, Refund, Payment, Order, Consent, Buyer, Tier):
        session.execute(delete(model))
    session.commit()
    seed_tiers(session)
    now = utcnow()
    buyers = [Buyer(email=f"b{i}@example.ru", name=f"Покупатель {i}") for i in range(12)]
    session.add_all(buyers)
    session.commit()
    ids = [buyer.id for buyer in buyers]
    for which, kopecks, age, refund in payments:
        amount = Decimal(kopecks) / 100
        refunded = str((amount / 2).quantize(Decimal("0.01"))) if refund else None
        paid_order(session, ids[which], amount, paid_at=now - timedelta(days=age), refunded=refunded)
    for buyer_id in ids:
        upgrade_on_payment(session, buyer_id, now=now)
    incremental = {buyer_id: _tier_code(session, buyer_id) for buyer_id in ids}
    session.execute(update(Buyer).values(tier_id=None))
    session.commit()
    recalc_tiers(session, now=now)
    assert {buyer_id: _tier_code(session, buyer_id) for buyer_id in ids} == incremental
    changes = session.scalar(select(func.count()).select_from(TierChange))
    recalc_tiers(session, now=now)
    assert session.scalar(select(func.count()).select_from(TierChange)) == changes


def test_recalc_tiers_command_reports_in_russian(runner: FlaskCliRunner, session: Session, buyer_id: int) -> None:
    paid_order(session, buyer_id, "350000.00", paid_at=days_ago(3))
    session.commit()
    result = runner.invoke(args=["crm", "recalc-tiers"])
    assert result.exit_code == 0, result.output
    assert "повышено 1" in result.output
    assert _tier_code(session, buyer_id) == "silver"


def test_seed_tiers_command(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(args=["crm", "seed-tiers"])
    assert result.exit_code == 0, result.output
    assert "Добавлено уровней: 4" in result.output


def test_a_manual_tier_holds_until_it_expires_then_the_grace_period_applies(session: Session, buyer_id: int) -> None:
    now = utcnow()
    platinum = session.scalar(select(Tier).where(Tier.code == "platinum"))
    set_manual_tier(session, buyer_id, platinum.id, "Крупный контракт", until=now + timedelta(days=10), now=now)
    assert _tier_code(session, buyer_id) == "platinum"
    change = session.scalars(select(TierChange).order_by(TierChange.id.desc())).first()
    assert change.reason == "manual: Крупный контракт"

    recalc_tiers(session, now=now + timedelta(days=9))
    assert _tier_code(session, buyer_id) == "platinum"
    # Expired: the grace clock starts at the first recalculation after the expiry.
    recalc_tiers(session, now=now + timedelta(days=11))
    assert _tier_code(session, buyer_id) == "platinum"
    session.expire_all()
    profile = session.get(BuyerProfile, buyer_id)
    assert profile.manual_until is None and profile.below_since is not None
    recalc_tiers(session, now=now + timedelta(days=41))
    assert _tier_code(session, buyer_id) == "standard"


def test_a_manual_tier_is_not_raised_by_a_payment_while_it_holds(session: Session, buyer_id: int) -> None:
    now = utcnow()
    standard = session.scalar(select(Tier).where(Tier.code == "standard"))
    set_manual_tier(session, buyer_id, standard.id, "Проверка", until=now + timedelta(days=5), now=now)
    paid_order(session, buyer_id, "500000.00", paid_at=now)
    upgrade_on_payment(session, buyer_id, now=now)
    recalc_tiers(session, now=now + timedelta(days=1))
    assert _tier_code(session, buyer_id) == "standard"
    recalc_tiers(session, now=now + timedelta(days=6))
    assert _tier_code(session, buyer_id) == "silver"


def test_a_manual_tier_needs_a_future_expiry(session: Session, buyer_id: int) -> None:
    gold = session.scalar(select(Tier).where(Tier.code == "gold"))
    with pytest.raises(ManualTierError):
        set_manual_tier(session, buyer_id, gold.id, "Ошибка", until=utcnow() - timedelta(seconds=1))


def test_a_buyer_moved_up_by_a_payment_gets_a_russian_email(
    app: Flask, session: Session, buyer_id: int, mailbox
) -> None:
    order = paid_order(session, buyer_id, "1250000.00")
    session.commit()  # the receivers run in the app's own session
    with app.app_context():
        _announce(order, buyer_id)
    (message,) = _tier_emails(mailbox)
    assert message["To"] == "buyer@example.ru"
    assert message["Subject"] == "Ваш уровень в «Мостике» теперь Золото"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Золото" in body and "4\xa0%" in body and "Доставка для вас бесплатна" in body


def test_no_email_for_the_base_tier_or_without_an_upgrade(app: Flask, session: Session, buyer_id: int, mailbox) -> None:
    order = paid_order(session, buyer_id, "100.00")
    session.commit()  # the receivers run in the app's own session
    with app.app_context():
        _announce(order, buyer_id)
        _announce(order, buyer_id)
    assert _tier_emails(mailbox) == []
    assert _tier_code(session, buyer_id) == "standard"


def _tier_emails(mailbox) -> list:
    """The tier e-mails among those sent (a payment also brings the order's «оплачен» e-mail)."""
    return [message for message in mailbox.messages if "уровень" in message["Subject"]]


def _announce(order, buyer_id: int) -> None:
    order_paid.send(None, order_id=order.id, number=order.number, amount=Decimal(1), buyer_id=buyer_id, payment_id=1)

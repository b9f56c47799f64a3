"""Reorder statistics: expected date and status on hand-made histories, refunds, incremental == full recompute,
one overdue task per episode."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from crm.reorder.models import BuyerCategory, BuyerStats, ReorderBaseline, ReorderStatus
from crm.reorder.services import (
    ReorderPolicy,
    open_overdue_tasks,
    recalc_reorders,
    refresh_statuses,
    update_buyer_stats,
)
from crm.tiers.services import seed_tiers
from crm.workspace.models import Task
from storefront.account.models import Buyer, Tier
from storefront.db import utcnow
from storefront.order.models import Order, OrderLine
from storefront.payment.models import Payment, Refund
from tests.support.factories import create_category, create_product, create_supplier, make_staff, paid_order

TITLE = "Покупатель просрочил повторный заказ"
POLICY = ReorderPolicy(due_days=14, lapse_multiple=1.0, default_interval_days=90.0)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=utcnow().tzinfo)


def _buyer(session: Session, n: int = 1) -> int:
    buyer = Buyer(email=f"b{n}@example.ru", name=f"Покупатель {n}", phone="+79161234567")
    session.add(buyer)
    session.commit()
    return buyer.id


def _stats(session: Session, buyer_id: int) -> BuyerStats:
    session.expire_all()
    stats = session.get(BuyerStats, buyer_id)
    assert stats is not None
    return stats


def _close(a: datetime | None, b: datetime, seconds: float = 1.0) -> bool:
    return a is not None and abs((a - b).total_seconds()) <= seconds


def test_a_buyer_without_orders_is_new(session: Session) -> None:
    buyer_id = _buyer(session)
    recalc_reorders(session, NOW, policy=POLICY)
    stats = _stats(session, buyer_id)
    assert (stats.status, stats.order_count, stats.expected_next_at, stats.spend_total) == ("new", 0, None, 0)


def test_regular_intervals_give_the_interval_as_median_and_the_next_date(session: Session) -> None:
    buyer_id = _buyer(session)
    for days in (300, 210, 120, 30):  # every 90 days
        paid_order(session, buyer_id, "1000.00", NOW - timedelta(days=days))
    recalc_reorders(session, NOW, policy=POLICY)
    stats = _stats(session, buyer_id)
    assert stats.order_count == 4
    assert stats.median_interval_days == pytest.approx(90.0, abs=1e-4)
    assert _close(stats.expected_next_at, NOW + timedelta(days=60))
    assert _close(stats.lapse_at, NOW + timedelta(days=150))
    assert stats.status == ReorderStatus.ACTIVE
    assert stats.spend_total == Decimal("4000.00")
    assert stats.spend_12m == Decimal("4000.00")
    assert stats.average_order == Decimal("1000.00")
    assert _close(stats.first_paid_at, NOW - timedelta(days=300))
    assert _close(stats.last_paid_at, NOW - timedelta(days=30))


def test_irregular_intervals_use_the_median_not_the_mean(session: Session) -> None:
    buyer_id = _buyer(session)
    # gaps 10, 20, 200 → median 20 (the mean would be 76.7)
    for days in (250, 240, 220, 20):
        paid_order(session, buyer_id, "500.00", NOW - timedelta(days=days))
    recalc_reorders(session, NOW, policy=POLICY)
    stats = _stats(session, buyer_id)
    assert stats.median_interval_days == pytest.approx(20.0, abs=1e-4)
    assert _close(stats.expected_next_at, NOW)  # 20 days after the last: exactly now → overdue
    assert stats.status == ReorderStatus.OVERDUE


def test_an_even_number_of_gaps_averages_the_middle_two(session: Session) -> None:
    buyer_id = _buyer(session)
    for days in (100, 90, 70, 40, 0.5):  # gaps 10, 20, 30, 39.5 → (20 + 30) / 2
        paid_order(session, buyer_id, "500.00", NOW - timedelta(days=days))
    recalc_reorders(session, NOW, policy=POLICY)
    stats = _stats(session, buyer_id)
    assert stats.median_interval_days == pytest.approx(25.0, abs=1e-4)
    assert stats.status == ReorderStatus.ACTIVE


def test_one_order_buyers_use_the_platform_second_order_median(session: Session) -> None:
    regulars = [_buyer(session, n) for n in (1, 2, 3)]
    for buyer_id, gap in zip(regulars, (30, 60, 200), strict=True):
        paid_order(session, buyer_id, "100.00", NOW - timedelta(days=300))
        paid_order(session, buyer_id, "100.00", NOW - timedelta(days=300 - gap))
    newcomer = _buyer(session, 4)
    paid_order(session, newcomer, "100.00", NOW - timedelta(days=50))
    result = recalc_reorders(session, NOW, policy=POLICY)
    assert result.baseline_days == pytest.approx(60.0, abs=1e-4)
    stats = _stats(session, newcomer)
    assert stats.median_interval_days is None
    assert _close(stats.expected_next_at, NOW + timedelta(days=10))
    assert stats.status == ReorderStatus.DUE  # within the next 14 days


def test_one_order_and_no_platform_data_falls_back_to_the_configured_interval(session: Session) -> None:
    buyer_id = _buyer(session)
    paid_order(session, buyer_id, "100.00", NOW - timedelta(days=100))
    recalc_reorders(session, NOW, policy=POLICY)
    stats = _stats(session, buyer_id)
    assert _close(stats.expected_next_at, NOW - timedelta(days=10))
    assert stats.status == ReorderStatus.OVERDUE


def test_lapsed_is_past_the_expected_date_by_more_than_the_multiple(session: Session) -> None:
    buyer_id = _buyer(session)
    for days in (400, 370, 340):  # every 30 days, last 340 days ago: expected 310 days ago
        paid_order(session, buyer_id, "100.00", NOW - timedelta(days=days))
    recalc_reorders(session, NOW, policy=POLICY)
    assert _stats(session, buyer_id).status == ReorderStatus.LAPSED
    assert _stats(session, buyer_id).spend_12m == Decimal("100.00")  # 400 and 370 days ago fall outside
    recalc_reorders(session, NOW, policy=replace(POLICY, lapse_multiple=20.0))
    assert _stats(session, buyer_id).status == ReorderStatus.OVERDUE


def test_fully_refunded_orders_do_not_count_and_partial_refunds_reduce_spend(session: Session) -> None:
    buyer_id = _buyer(session)
    paid_order(session, buyer_id, "1000.00", NOW - timedelta(days=90))
    paid_order(session, buyer_id, "700.00", NOW - timedelta(days=60), refunded="700.00")  # fully refunded
    paid_order(session, buyer_id, "1000.00", NOW - timedelta(days=30), refunded="250.50")
    recalc_reorders(session, NOW, policy=POLICY)
    stats = _stats(session, buyer_id)
    assert stats.order_count == 2
    assert stats.median_interval_days == pytest.approx(60.0, abs=1e-4)
    assert stats.spend_total == Decimal("1749.50")
    assert stats.average_order == Decimal("874.75")


def test_everything_refunded_zeroes_the_buyer(session: Session) -> None:
    buyer_id = _buyer(session)
    order = paid_order(session, buyer_id, "1000.00", NOW - timedelta(days=10))
    update_buyer_stats(session, buyer_id, NOW, policy=POLICY)
    assert _stats(session, buyer_id).order_count == 1
    payment = session.scalar(select(Payment).where(Payment.order_id == order.id))
    session.add(
        Refund(payment_id=payment.id, order_id=order.id, idempotence_key="r-all", status="succeeded", amount=1000)
    )
    session.commit()
    update_buyer_stats(session, buyer_id, NOW, policy=POLICY)
    stats = _stats(session, buyer_id)
    assert (stats.order_count, stats.spend_total, stats.status, stats.expected_next_at) == (0, 0, "new", None)


def test_status_moves_with_time_and_status_since_only_on_a_change(session: Session) -> None:
    buyer_id = _buyer(session)
    paid_order(session, buyer_id, "100.00", NOW - timedelta(days=90))
    paid_order(session, buyer_id, "100.00", NOW - timedelta(days=30))  # every 60 days: expected in 30 days
    recalc_reorders(session, NOW, policy=POLICY)
    assert _stats(session, buyer_id).status == ReorderStatus.ACTIVE
    since = _stats(session, buyer_id).status_since
    assert refresh_statuses(session, NOW + timedelta(days=1), POLICY) == 0
    assert _stats(session, buyer_id).status_since == since
    refresh_statuses(session, NOW + timedelta(days=20), POLICY)
    assert _stats(session, buyer_id).status == ReorderStatus.DUE
    refresh_statuses(session, NOW + timedelta(days=31), POLICY)
    assert _stats(session, buyer_id).status == ReorderStatus.OVERDUE
    assert _close(_stats(session, buyer_id).status_since, NOW + timedelta(days=31))
    refresh_statuses(session, NOW + timedelta(days=89), POLICY)
    assert _stats(session, buyer_id).status == ReorderStatus.OVERDUE
    refresh_statuses(session, NOW + timedelta(days=91), POLICY)
    assert _stats(session, buyer_id).status == ReorderStatus.LAPSED


def test_the_paid_and_refunded_signals_update_the_buyer_at_once(app: Flask, session: Session) -> None:
    from storefront.events import order_paid, order_refunded

    buyer_id = _buyer(session)
    order = paid_order(session, buyer_id, "1500.00", utcnow() - timedelta(days=1))
    session.commit()  # the signals go out after the payment's commit; the receiver reads on its own connection
    with app.app_context():
        order_paid.send(None, order_id=order.id, number=order.number, amount=Decimal("1500.00"), buyer_id=buyer_id)
    stats = _stats(session, buyer_id)
    assert (stats.order_count, stats.spend_total) == (1, Decimal("1500.00"))
    payment = session.scalar(select(Payment).where(Payment.order_id == order.id))
    session.add(Refund(payment_id=payment.id, order_id=order.id, idempotence_key="r-1", status="succeeded", amount=500))
    session.commit()
    with app.app_context():
        order_refunded.send(None, order_id=order.id, number=order.number, amount=Decimal(500), buyer_id=buyer_id)
    assert _stats(session, buyer_id).spend_total == Decimal("1000.00")


# --- incremental == full --------------------------------------------------------------------------------------

EVENTS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # buyer
        st.floats(min_value=0, max_value=700, allow_nan=False),  # days ago
        st.integers(min_value=1, max_value=500_000),  # kopecks
        st.sampled_from([None, "part", "all"]),  # refund
    ),
    max_size=14,
)
COMPARED = (
    "order_count",
    "first_paid_at",
    "last_paid_at",
    "median_interval_days",
    "expected_next_at",
    "lapse_at",
    "spend_12m",
    "spend_total",
    "average_order",
    "status",
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=EVENTS, baseline=st.one_of(st.none(), st.floats(min_value=1, max_value=400)))
def test_the_incremental_update_equals_the_full_recompute(
    session: Session, events: list, baseline: float | None
) -> None:
    for model in (BuyerStats, ReorderBaseline, Refund, Payment, Order, Buyer):
        session.execute(delete(model))
    session.add(ReorderBaseline(id=1, second_order_days=baseline))
    session.commit()
    buyers = [_buyer(session, n) for n in range(4)]
    for who, days, kopecks, refund in events:
        amount = Decimal(kopecks) / 100
        refunded = {None: None, "part": str((amount / 3).quantize(Decimal("0.01"))), "all": str(amount)}[refund]
        if refunded == "0.00":
            refunded = None
        paid_order(session, buyers[who], amount, NOW - timedelta(days=days), refunded=refunded)
        update_buyer_stats(session, buyers[who], NOW, policy=POLICY)
    for buyer_id in buyers:  # buyers with no event get their row as well
        update_buyer_stats(session, buyer_id, NOW, policy=POLICY)
    incremental = {
        row.buyer_id: tuple(getattr(row, name) for name in COMPARED) for row in session.scalars(select(BuyerStats))
    }
    session.expire_all()
    recalc_reorders(session, NOW, policy=POLICY, refresh_platform_baseline=False)
    session.expire_all()
    full = {row.buyer_id: tuple(getattr(row, name) for name in COMPARED) for row in session.scalars(select(BuyerStats))}
    assert incremental == full


# --- overdue tasks ----------------------------------------------------------------------------------------------


def _gold_buyer(session: Session, manager_id: int) -> int:
    seed_tiers(session)
    buyer_id = _buyer(session, 9)
    buyer = session.get(Buyer, buyer_id)
    buyer.tier_id = session.scalar(select(Tier.id).where(Tier.code == "gold"))
    session.add(BuyerProfile(buyer_id=buyer_id, manager_id=manager_id))
    session.commit()
    return buyer_id


def test_one_overdue_task_per_episode_and_a_new_order_starts_a_new_one(session: Session) -> None:
    manager = make_staff(session, "account_manager")
    buyer_id = _gold_buyer(session, manager.id)
    silver = _buyer(session, 10)
    session.get(Buyer, silver).tier_id = session.scalar(select(Tier.id).where(Tier.code == "silver"))
    session.commit()
    for who in (buyer_id, silver):
        paid_order(session, who, "100000.00", NOW - timedelta(days=130))
        paid_order(session, who, "100000.00", NOW - timedelta(days=70))  # expected 10 days ago → overdue
    recalc_reorders(session, NOW, policy=POLICY)
    assert _stats(session, buyer_id).status == ReorderStatus.OVERDUE
    assert open_overdue_tasks(session, NOW, TITLE) == 1
    session.commit()
    for hours in (1, 24, 48):  # the job runs again and again: no second task
        refresh_statuses(session, NOW + timedelta(hours=hours), POLICY)
        assert open_overdue_tasks(session, NOW + timedelta(hours=hours), TITLE) == 0
        session.commit()
    tasks = list(session.scalars(select(Task)))
    assert [(task.buyer_id, task.assignee_id) for task in tasks] == [(buyer_id, manager.id)]
    # A new order, then overdue again later: a new episode, a new task.
    paid_order(session, buyer_id, "100000.00", NOW)
    update_buyer_stats(session, buyer_id, NOW, policy=POLICY)
    assert _stats(session, buyer_id).status == ReorderStatus.ACTIVE
    later = NOW + timedelta(days=70)  # gaps 60 and 70: expected 65 days after now
    refresh_statuses(session, later, POLICY)
    assert _stats(session, buyer_id).status == ReorderStatus.OVERDUE
    assert open_overdue_tasks(session, later, TITLE) == 1
    session.commit()
    assert session.scalar(select(Task.id).where(Task.buyer_id == silver)) is None


def test_run_due_opens_the_overdue_task_once(app: Flask, session: Session) -> None:
    from storefront.jobs import registered_jobs, run_due

    assert {"crm-reorder-statuses", "crm-recalc-reorders"} <= {job.name for job in registered_jobs()}
    manager = make_staff(session, "account_manager")
    buyer_id = _gold_buyer(session, manager.id)
    now = utcnow()
    paid_order(session, buyer_id, "100000.00", now - timedelta(days=130))
    paid_order(session, buyer_id, "100000.00", now - timedelta(days=70))
    with app.app_context():
        run_due(session, now, app=app)
        run_due(session, now + timedelta(hours=2), app=app)
    tasks = list(session.scalars(select(Task)))
    assert [(task.buyer_id, task.assignee_id, task.title) for task in tasks] == [
        (buyer_id, manager.id, "Покупатель просрочил повторный заказ")
    ]


# --- categories bought ------------------------------------------------------------------------------------------


def _with_line(session: Session, order: Order, product) -> None:
    session.add(
        OrderLine(order_id=order.id, product_id=product.id, sku=product.sku, title=product.title, quantity=2,
                  unit_price=Decimal("500.00"), line_amount=Decimal("1000.00"), commission_bp=500)
    )  # fmt: skip
    session.commit()


def test_categories_bought_follow_paid_orders_incrementally_and_in_the_full_recompute(session: Session) -> None:
    supplier = create_supplier(session)
    shoes, bags, toys = (create_category(session, name) for name in ("Обувь", "Сумки", "Игрушки"))
    boots, bag, toy = (create_product(session, category, supplier) for category in (shoes, bags, toys))
    buyer_id = _buyer(session)
    for days, product, refunded in ((90, boots, None), (60, boots, None), (30, bag, "100.00"), (20, toy, "1000.00")):
        order = paid_order(session, buyer_id, "1000.00", NOW - timedelta(days=days), refunded=refunded)
        _with_line(session, order, product)
        update_buyer_stats(session, buyer_id, NOW, policy=POLICY)

    def bought() -> dict[int, int]:
        session.expire_all()
        return dict(session.execute(select(BuyerCategory.category_id, BuyerCategory.order_count)).all())

    # The fully refunded toy order does not count; the partly refunded bag order does.
    assert bought() == {shoes.id: 2, bags.id: 1}
    recalc_reorders(session, NOW, policy=POLICY)
    assert bought() == {shoes.id: 2, bags.id: 1}
    bag_order = session.scalar(select(Order).join(OrderLine).where(OrderLine.product_id == bag.id))
    payment = session.scalar(select(Payment).where(Payment.order_id == bag_order.id))
    session.add(Refund(payment_id=payment.id, order_id=bag_order.id, idempotence_key="r-rest", status="succeeded",
                       amount=Decimal("900.00")))  # fmt: skip
    session.commit()
    update_buyer_stats(session, buyer_id, NOW, policy=POLICY)
    assert bought() == {shoes.id: 2}

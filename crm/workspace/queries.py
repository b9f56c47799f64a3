"""«Мои клиенты»: a manager's buyers, tasks due today and overdue (Moscow days), alerts.

Day boundaries are computed in Europe/Moscow and compared with the UTC instants stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from crm.buyers.queries import BuyerFilters, BuyerRow, list_row, list_select
from crm.reorder.queries import at_risk_buyers
from crm.tiers.services import tiers_in_order
from crm.workspace.models import Task, TaskStatus
from storefront.account.models import Tier
from storefront.db import utcnow
from storefront.moscow import moscow_day_bounds

MY_BUYERS_LIMIT = 500


@dataclass(frozen=True)
class DueTasks:
    overdue: list[Task]
    today: list[Task]


def due_tasks(session: Session, assignee_id: int, now: datetime | None = None) -> DueTasks:
    """Open tasks of ``assignee_id``: overdue (due before today began in Moscow) and due today (Moscow)."""
    start, end = moscow_day_bounds(now or utcnow())
    tasks = session.scalars(
        select(Task)
        .where(Task.assignee_id == assignee_id, Task.status == TaskStatus.OPEN, Task.due_at < end)
        .options(selectinload(Task.buyer))
        .order_by(Task.due_at, Task.id)
    ).all()
    return DueTasks(
        overdue=[task for task in tasks if task.due_at < start], today=[task for task in tasks if task.due_at >= start]
    )


def my_buyers(session: Session, manager_id: int, now: datetime | None = None) -> list[BuyerRow]:
    """The manager's buyers, biggest 12-month spend first (one query)."""
    filters = BuyerFilters(manager_id=manager_id, sort="spend", descending=True)
    return [list_row(values) for values in session.execute(list_select(filters, now or utcnow(), MY_BUYERS_LIMIT))]


def next_tasks(session: Session, buyer_ids: list[int]) -> dict[int, Task]:
    """Each buyer's soonest open task (whoever it is assigned to), by buyer id; buyers without one are absent."""
    if not buyer_ids:
        return {}
    soonest = (
        select(Task.buyer_id, func.min(Task.due_at).label("due_at"))
        .where(Task.buyer_id.in_(buyer_ids), Task.status == TaskStatus.OPEN)
        .group_by(Task.buyer_id)
        .subquery()
    )
    tasks = session.scalars(
        select(Task)
        .join(soonest, (soonest.c.buyer_id == Task.buyer_id) & (soonest.c.due_at == Task.due_at))
        .where(Task.status == TaskStatus.OPEN)
        .order_by(Task.id)
    )
    found: dict[int, Task] = {}
    for task in tasks:
        found.setdefault(task.buyer_id, task)
    return found


@dataclass(frozen=True)
class NearTierAlert:
    buyer: BuyerRow
    next_tier: Tier
    remaining: Decimal


def near_next_tier(session: Session, buyers: list[BuyerRow], percent: Decimal) -> list[NearTierAlert]:
    """VIP buyers (a tier above the base one) whose 12-month spend is within ``percent`` % of the next threshold."""
    tiers = tiers_in_order(session)
    by_name = {tier.name: tier for tier in tiers}
    alerts = []
    for row in buyers:
        current = by_name.get(row.tier_name or "")
        if current is None or current.threshold_amount <= 0:
            continue
        higher = [tier for tier in tiers if tier.threshold_amount > current.threshold_amount]
        if not higher:
            continue
        target = higher[0]
        remaining = target.threshold_amount - row.spend_12m
        if Decimal("0") < remaining <= target.threshold_amount * percent / 100:
            alerts.append(NearTierAlert(row, target, remaining))
    return sorted(alerts, key=lambda alert: alert.remaining)


def past_expected_reorder(session: Session, manager_id: int, now: datetime | None = None) -> list[BuyerRow]:
    """The manager's VIP buyers (a tier above the base one) past their expected reorder date (overdue or lapsed)."""
    at_risk = [row.buyer.id for row in at_risk_buyers(session, manager_id)]
    if not at_risk:
        return []
    vip = {tier.name for tier in tiers_in_order(session) if tier.threshold_amount > 0}
    filters = BuyerFilters(manager_id=manager_id, buyer_ids=tuple(at_risk), sort="spend", descending=True)
    rows = session.execute(list_select(filters, now or utcnow(), len(at_risk)))
    return [row for row in map(list_row, rows) if row.tier_name in vip]

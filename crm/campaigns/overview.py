"""The cross-campaign report: every campaign's figures and the months of a period, in a few GROUP BY reads.

The figures are those of the per-campaign report (``crm.campaigns.queries.campaign_report``): a message delivered
is a recipient with status ``sent``; opens, clicks and unsubscribes are the recipients' first-open, first-click and
unsubscribe times; orders and revenue are the paid orders (``MONEY_IN``) carrying the campaign's ``campaign_id``.

- By campaign: the manual campaigns whose sending started in the period, each with all its figures to date (the
  same numbers as its own report); the automatic (trigger) campaigns, which never end, with their figures inside
  the period: messages sent in it (and those messages' opens, clicks, unsubscribes) and orders placed in it.
- By month: what happened in each Moscow month of the period: messages by the time they were sent,
  unsubscribes by the time they happened, an order's revenue by the time the order was PLACED (``created_at``, as
  the campaign report's days), in Moscow time.

Months and days are compared as UTC instants computed here in Python (``storefront.moscow``), so the SQL is the
same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, case, func, select, type_coerce
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign, CampaignRecipient, RecipientStatus
from crm.campaigns.rates import Rates
from storefront.money import from_minor
from storefront.moscow import moscow_day_end, moscow_midnight
from storefront.order.models import MONEY_IN, Order

CR = CampaignRecipient
#: The longest period the report reads (its months are one CASE arm each).
MAX_MONTHS = 36
#: The default period: this Moscow month and the eleven before it.
DEFAULT_MONTHS = 12


class Scope(enum.StrEnum):
    """Which campaigns the report covers."""

    MANUAL = "manual"
    AUTOMATIC = "automatic"
    ALL = "all"


@dataclass
class Figures(Rates):
    def add(self, other: Figures) -> None:
        self.delivered += other.delivered
        self.opened += other.opened
        self.clicked += other.clicked
        self.unsubscribed += other.unsubscribed
        self.orders += other.orders
        self.revenue += other.revenue


@dataclass
class CampaignLine:
    campaign_id: int
    name: str
    channel: str
    #: The trigger kind (``abandoned_cart`` …) of an automatic campaign; None for a manual one.
    trigger: str | None
    started_at: datetime | None
    figures: Figures = field(default_factory=Figures)


@dataclass
class MonthLine:
    #: The first day of the Moscow month.
    month: date
    figures: Figures = field(default_factory=Figures)


@dataclass
class Overview:
    start: date
    end: date
    scope: Scope
    campaigns: list[CampaignLine]
    months: list[MonthLine]

    @property
    def campaign_total(self) -> Figures:
        total = Figures()
        for line in self.campaigns:
            total.add(line.figures)
        return total

    @property
    def month_total(self) -> Figures:
        total = Figures()
        for line in self.months:
            total.add(line.figures)
        return total


def default_period(today: date) -> tuple[date, date]:
    """This Moscow month and the eleven before it, up to today."""
    index = today.year * 12 + today.month - 1 - (DEFAULT_MONTHS - 1)
    return date(index // 12, index % 12 + 1, 1), today


def months_between(start: date, end: date) -> int:
    """How many calendar months the days ``start``…``end`` touch."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _month_firsts(start: date, end: date) -> list[date]:
    return [
        date((start.year * 12 + start.month - 1 + n) // 12, (start.month - 1 + n) % 12 + 1, 1)
        for n in range(months_between(start, end))
    ]


def _revenue(total: Any) -> Decimal:
    return from_minor(int(total or 0))


def _kopecks() -> ColumnElement[Any]:
    """The orders' totals as the stored integer kopecks (summed exactly on every engine)."""
    return type_coerce(Order.total_amount, BigInteger)


def _scope_condition(scope: Scope) -> ColumnElement[bool] | None:
    if scope is Scope.MANUAL:
        return Campaign.trigger.is_(None)
    if scope is Scope.AUTOMATIC:
        return Campaign.trigger.is_not(None)
    return None


def campaign_overview(session: Session, start: date, end: date, scope: Scope = Scope.MANUAL) -> Overview:
    """The report for the Moscow days ``start``…``end`` (both included)."""
    since, until = moscow_midnight(start), moscow_day_end(end)
    lines: list[CampaignLine] = []
    if scope is not Scope.AUTOMATIC:
        lines += _manual_lines(session, since, until)
    if scope is not Scope.MANUAL:
        lines += _automatic_lines(session, since, until)
    months = _month_lines(session, start, end, scope)
    return Overview(start, end, scope, lines, months)


def _recipient_counts() -> list[Any]:
    return [
        func.count(case((CR.status == RecipientStatus.SENT.value, 1))),
        func.count(CR.first_opened_at),
        func.count(CR.first_clicked_at),
        func.count(CR.unsubscribed_at),
    ]


def _fill(lines: dict[int, CampaignLine], recipient_rows: Sequence[Any], order_rows: Sequence[Any]) -> None:
    for campaign_id, delivered, opened, clicked, unsubscribed in recipient_rows:
        figures = lines[campaign_id].figures
        figures.delivered, figures.opened, figures.clicked, figures.unsubscribed = (
            int(delivered),
            int(opened),
            int(clicked),
            int(unsubscribed),
        )
    for campaign_id, orders, kopecks in order_rows:
        if campaign_id in lines:
            lines[campaign_id].figures.orders, lines[campaign_id].figures.revenue = int(orders), _revenue(kopecks)


def _manual_lines(session: Session, since: datetime, until: datetime) -> list[CampaignLine]:
    """Manual campaigns started in [since, until), newest first, with all their figures to date."""
    started = and_(Campaign.trigger.is_(None), Campaign.started_at >= since, Campaign.started_at < until)
    lines = {
        row.id: CampaignLine(row.id, row.name, str(row.channel), None, row.started_at)
        for row in session.execute(
            select(Campaign.id, Campaign.name, Campaign.channel, Campaign.started_at)
            .where(started)
            .order_by(Campaign.started_at.desc(), Campaign.id.desc())
        )
    }
    if not lines:
        return []
    ids = select(Campaign.id).where(started).scalar_subquery()
    recipients = session.execute(
        select(CR.campaign_id, *_recipient_counts()).where(CR.campaign_id.in_(ids)).group_by(CR.campaign_id)
    ).all()
    orders = session.execute(
        select(Order.campaign_id, func.count(Order.id), func.sum(_kopecks()))
        .where(Order.campaign_id.in_(ids), Order.payment_status.in_(MONEY_IN))
        .group_by(Order.campaign_id)
    ).all()
    _fill(lines, recipients, orders)
    return list(lines.values())


def _automatic_lines(session: Session, since: datetime, until: datetime) -> list[CampaignLine]:
    """Automatic campaigns with messages sent or orders placed in [since, until), figures inside the period."""
    lines = {
        row.id: CampaignLine(row.id, row.name, str(row.channel), row.trigger, None)
        for row in session.execute(
            select(Campaign.id, Campaign.name, Campaign.channel, Campaign.trigger)
            .where(Campaign.trigger.is_not(None))
            .order_by(Campaign.id)
        )
    }
    if not lines:
        return []
    recipients = session.execute(
        select(CR.campaign_id, *_recipient_counts())
        .where(CR.campaign_id.in_(lines), CR.sent_at >= since, CR.sent_at < until)
        .group_by(CR.campaign_id)
    ).all()
    orders = session.execute(
        select(Order.campaign_id, func.count(Order.id), func.sum(_kopecks()))
        .where(
            Order.campaign_id.in_(lines),
            Order.payment_status.in_(MONEY_IN),
            Order.created_at >= since,
            Order.created_at < until,
        )
        .group_by(Order.campaign_id)
    ).all()
    _fill(lines, recipients, orders)
    return [line for line in lines.values() if line.figures.delivered or line.figures.orders]


def _bucket(column: Any, starts: list[datetime]) -> Any:
    """The index of the month ``column`` falls in: the newest month start it is at or after."""
    return case(*((column >= starts[i], i) for i in range(len(starts) - 1, -1, -1)))


def _month_lines(session: Session, start: date, end: date, scope: Scope) -> list[MonthLine]:
    firsts = _month_firsts(start, end)
    # The first month begins at the period's first day; the rest at their 1st, Moscow midnight.
    starts = [moscow_midnight(start)] + [moscow_midnight(first) for first in firsts[1:]]
    since, until = starts[0], moscow_day_end(end)
    months = [MonthLine(first) for first in firsts]
    in_scope = _scope_condition(scope)

    def scoped(statement: Any, campaign_column: Any) -> Any:
        statement = statement.join(Campaign, Campaign.id == campaign_column)
        return statement if in_scope is None else statement.where(in_scope)

    sent = session.execute(
        scoped(
            select(_bucket(CR.sent_at, starts).label("month_index"), func.count())
            .select_from(CR)
            .where(CR.status == RecipientStatus.SENT.value, CR.sent_at >= since, CR.sent_at < until),
            CR.campaign_id,
        ).group_by("month_index")
    ).all()
    for month, count in sent:
        months[int(month)].figures.delivered = int(count)
    unsubscribed = session.execute(
        scoped(
            select(_bucket(CR.unsubscribed_at, starts).label("month_index"), func.count())
            .select_from(CR)
            .where(CR.unsubscribed_at >= since, CR.unsubscribed_at < until),
            CR.campaign_id,
        ).group_by("month_index")
    ).all()
    for month, count in unsubscribed:
        months[int(month)].figures.unsubscribed = int(count)
    orders = session.execute(
        scoped(
            select(_bucket(Order.created_at, starts).label("month_index"), func.count(Order.id), func.sum(_kopecks()))
            .select_from(Order)
            .where(Order.payment_status.in_(MONEY_IN), Order.created_at >= since, Order.created_at < until),
            Order.campaign_id,
        ).group_by("month_index")
    ).all()
    for month, count, kopecks in orders:
        months[int(month)].figures.orders, months[int(month)].figures.revenue = int(count), _revenue(kopecks)
    return months

"""Reads for the campaign pages: the list, the report (counts in SQL) and the daily series."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from crm.campaigns.ab_test import VariantFigures, variant_figures
from crm.campaigns.models import Campaign, CampaignRecipient, RecipientStatus
from crm.campaigns.rates import Rates, share
from storefront.moscow import MOSCOW
from storefront.order.models import MONEY_IN, Order

CR = CampaignRecipient
R = RecipientStatus
UPLIFT_WINDOW = timedelta(days=30)


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(Campaign.trigger.is_(None)).order_by(Campaign.id.desc())))


@dataclass
class DayRow:
    day: date
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    orders: int = 0


@dataclass
class CampaignReport(Rates):
    recipients: int = 0
    control: int = 0
    failed: int = 0
    pending: int = 0
    skipped: int = 0
    mailed_buyers_converted: int = 0
    control_buyers_converted: int = 0
    days: list[DayRow] = field(default_factory=list)
    #: A/B test: figures of variants A and B (their test share only), in that order; empty without a test.
    variants: list[VariantFigures] = field(default_factory=list)
    #: Recipients waiting for the winner.
    held: int = 0

    @property
    def conversion(self) -> Decimal | None:
        return share(self.orders, self.delivered)

    @property
    def mailed_conversion(self) -> Decimal | None:
        return share(self.mailed_buyers_converted, self.delivered)

    @property
    def control_conversion(self) -> Decimal | None:
        return share(self.control_buyers_converted, self.control)

    @property
    def uplift_points(self) -> Decimal | None:
        """Conversion of mailed buyers minus that of the held-out control group, percentage points."""
        if self.mailed_conversion is None or self.control_conversion is None:
            return None
        return self.mailed_conversion - self.control_conversion

    @property
    def max_day(self) -> int:
        return max([1, *(max(d.sent, d.opened, d.clicked, d.orders) for d in self.days)])


def _converted(session: Session, campaign: Campaign, control: bool) -> int:
    """Buyers of one group who paid for any order within UPLIFT_WINDOW of the start (attributed or not)."""
    if campaign.started_at is None:
        return 0
    group = [R.CONTROL.value] if control else [R.SENT.value]
    return (
        session.scalar(
            select(func.count(distinct(CR.buyer_id)))
            .join(Order, Order.buyer_id == CR.buyer_id)
            .where(
                CR.campaign_id == campaign.id,
                CR.status.in_(group),
                Order.payment_status.in_(MONEY_IN),
                Order.created_at >= campaign.started_at,
                Order.created_at < campaign.started_at + UPLIFT_WINDOW,
            )
        )
        or 0
    )


def campaign_report(session: Session, campaign: Campaign) -> CampaignReport:
    report = CampaignReport()
    counts: dict[str, int] = dict(
        session.execute(select(CR.status, func.count()).where(CR.campaign_id == campaign.id).group_by(CR.status)).all()
    )
    report.control = counts.get(R.CONTROL.value, 0)
    report.delivered = counts.get(R.SENT.value, 0)
    report.failed = counts.get(R.FAILED.value, 0)
    report.held = counts.get(R.HELD.value, 0)
    report.pending = counts.get(R.PENDING.value, 0) + counts.get(R.SENDING.value, 0) + report.held
    report.skipped = counts.get(R.SKIPPED.value, 0) + counts.get(R.CAPPED.value, 0)
    report.recipients = sum(counts.values()) - report.control
    engaged = session.execute(
        select(func.count(CR.first_opened_at), func.count(CR.first_clicked_at), func.count(CR.unsubscribed_at)).where(
            CR.campaign_id == campaign.id
        )
    ).one()
    report.opened, report.clicked, report.unsubscribed = engaged
    orders = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total_amount), 0)).where(
            and_(Order.campaign_id == campaign.id, Order.payment_status.in_(MONEY_IN))
        )
    ).one()
    report.orders = orders[0]
    report.revenue = Decimal(orders[1] or 0) / 100 if not isinstance(orders[1], Decimal) else orders[1]
    report.mailed_buyers_converted = _converted(session, campaign, control=False)
    report.control_buyers_converted = _converted(session, campaign, control=True)
    report.days = _days(session, campaign)
    if campaign.ab_test:
        report.variants = list(variant_figures(session, campaign.id).values())
    return report


def _days(session: Session, campaign: Campaign) -> list[DayRow]:
    """Per Moscow day: messages sent, first opens, first clicks, attributed paid orders."""
    rows: dict[date, DayRow] = defaultdict(lambda: DayRow(date.min))

    def bump(moment: datetime | None, attribute: str) -> None:
        if moment is None:
            return
        day = moment.astimezone(MOSCOW).date()
        row = rows[day]
        row.day = day
        setattr(row, attribute, getattr(row, attribute) + 1)

    for sent_at, opened_at, clicked_at in session.execute(
        select(CR.sent_at, CR.first_opened_at, CR.first_clicked_at).where(
            CR.campaign_id == campaign.id, CR.status == R.SENT.value
        )
    ):
        bump(sent_at, "sent")
        bump(opened_at, "opened")
        bump(clicked_at, "clicked")
    for (created_at,) in session.execute(
        select(Order.created_at).where(Order.campaign_id == campaign.id, Order.payment_status.in_(MONEY_IN))
    ):
        bump(created_at, "orders")
    return sorted(rows.values(), key=lambda row: row.day)

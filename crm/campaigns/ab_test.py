"""A/B test of campaign subjects: the split at the start, the figures per variant, the winner and the release.

- **Split.** When an e-mail campaign with a test starts, its mailed recipients (after the control group, which is
  held out first) are ordered by a deterministic shuffle of the buyer id (``shuffle_key``). Of ``n`` recipients the
  test takes ``t = floor(n × percent / 100)``; variant A gets ``ceil(t / 2)``, B ``floor(t / 2)`` (``ab_split``), the
  rest are ``held``: never claimed by the sender (``sending.py`` claims only ``pending`` rows), so the one-message
  guarantees (one row per buyer, claims, leases) are the sender's as before.
- **Winner.** ``ab_wait_hours`` after the start the periodic job ``crm-campaign-ab-winner`` compares A and B
  (``pick_winner``): opens = recipients with a first open / messages delivered, clicks likewise, revenue = paid
  orders credited to the campaign (``Order.campaign_id``, ``MONEY_IN``) by the variant's buyers, per delivered
  message. Rates are compared exactly (cross-multiplied); B wins only when strictly better, so a tie (0 against 0
  included) goes to A.
- **Release.** The winner is recorded by one conditional UPDATE (``ab_winner IS NULL``): of two job runners racing,
  one records it and releases the held rows (held → pending) in the same transaction; the other changes nothing.
  The rest are sent with the winner's subject (``subject_for``: a row's own variant, else the winner's).
- Telegram messages have no subject: ``save_campaign`` refuses a test on a Telegram campaign.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from crm.audit.actions import AuditAction
from crm.audit.services import record_job
from crm.campaigns.models import AbMetric, Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from crm.campaigns.rates import Rates
from storefront.db import rowcount
from storefront.order.models import MONEY_IN, Order

logger = logging.getLogger(__name__)
CR = CampaignRecipient
R = RecipientStatus
VARIANTS = ("A", "B")
#: Rows per UPDATE … WHERE id IN (…) (SQLite binds at most 32,766 values).
_CHUNK = 5000


def ab_split(n: int, percent: int) -> tuple[int, int]:
    """How many of ``n`` mailed recipients get A and B: ``t = n × percent // 100``, A ``ceil(t/2)``, B ``floor(t/2)``;
    the other ``n - t`` wait for the winner."""
    test = n * percent // 100
    return test - test // 2, test // 2


def shuffle_key(campaign_id: int, buyer_id: int) -> tuple[int, int]:
    """A deterministic order of a campaign's recipients that does not follow their id (sign-up order)."""
    return ((buyer_id * 2654435761 + campaign_id * 40503) % 4294967291, buyer_id)


def assign_variants(session: Session, campaign: Campaign) -> tuple[int, int, int]:
    """At the start: variant A / B for the test share of the pending recipients, the rest held. Flushes only;
    returns (A, B, held)."""
    rows = session.execute(
        select(CR.id, CR.buyer_id).where(CR.campaign_id == campaign.id, CR.status == R.PENDING.value)
    ).all()
    ordered = [row.id for row in sorted(rows, key=lambda row: shuffle_key(campaign.id, row.buyer_id))]
    a, b = ab_split(len(ordered), campaign.ab_percent)
    for variant, ids in (("A", ordered[:a]), ("B", ordered[a : a + b])):
        for start in range(0, len(ids), _CHUNK):
            session.execute(
                update(CR)
                .where(CR.id.in_(ids[start : start + _CHUNK]))
                .values(variant=variant)
                .execution_options(synchronize_session=False)
            )
    held = session.execute(
        update(CR)
        .where(CR.campaign_id == campaign.id, CR.status == R.PENDING.value, CR.variant == "")
        .values(status=R.HELD.value)
        .execution_options(synchronize_session=False)
    )
    return a, b, rowcount(held)


def subject_for(subject_a: str, subject_b: str | None, variant: str, winner: str | None) -> str:
    """The subject a recipient gets: their variant's in the test, the winner's for the rest (A until decided)."""
    chosen = variant or winner or "A"
    return subject_b if chosen == "B" and subject_b else subject_a


@dataclass
class VariantFigures(Rates):
    variant: str = ""
    recipients: int = 0

    def score(self, metric: AbMetric) -> tuple[Decimal, int]:
        """The metric as (numerator, denominator): opens, clicks or revenue per delivered message."""
        part = {AbMetric.OPENS: Decimal(self.opened), AbMetric.CLICKS: Decimal(self.clicked)}.get(metric, self.revenue)
        return part, self.delivered


def variant_figures(session: Session, campaign_id: int) -> dict[str, VariantFigures]:
    """Recipients, delivered, distinct openers and clickers, and attributed paid orders and revenue by the
    variant's buyers, for A and B (two GROUP BY reads)."""
    figures = {variant: VariantFigures(variant=variant) for variant in VARIANTS}
    for variant, recipients, delivered, opened, clicked in session.execute(
        select(
            CR.variant,
            func.count(),
            func.count(CR.sent_at),
            func.count(CR.first_opened_at),
            func.count(CR.first_clicked_at),
        )
        .where(CR.campaign_id == campaign_id, CR.variant.in_(VARIANTS), CR.status != R.CONTROL.value)
        .group_by(CR.variant)
    ):
        row = figures[variant]
        row.recipients, row.delivered, row.opened, row.clicked = recipients, delivered, opened, clicked
    for variant, orders, revenue in session.execute(
        select(CR.variant, func.count(Order.id), func.sum(Order.total_amount))
        .join(
            Order,
            and_(Order.buyer_id == CR.buyer_id, Order.campaign_id == campaign_id, Order.payment_status.in_(MONEY_IN)),
        )
        .where(CR.campaign_id == campaign_id, CR.variant.in_(VARIANTS))
        .group_by(CR.variant)
    ):
        figures[variant].orders = orders
        figures[variant].revenue = Decimal(revenue or 0)
    return figures


def pick_winner(metric: AbMetric, a: VariantFigures, b: VariantFigures) -> str:
    """'B' only when B's rate is strictly higher; a tie (no deliveries on either side included) is 'A'."""
    part_a, whole_a = a.score(metric)
    part_b, whole_b = b.score(metric)
    if not whole_b:
        return "A"
    if not whole_a:
        return "B" if part_b > 0 else "A"
    return "B" if part_b * whole_a > part_a * whole_b else "A"


def decide(session: Session, campaign: Campaign, now: datetime) -> str | None:
    """Choose and record the winner once, release the held rows, write the audit entry; the caller commits.
    None when another runner (or an earlier run) has already decided."""
    figures = variant_figures(session, campaign.id)
    winner = pick_winner(AbMetric(campaign.ab_metric), figures["A"], figures["B"])
    recorded = rowcount(
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id, Campaign.ab_winner.is_(None))
            .values(ab_winner=winner, ab_decided_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if recorded != 1:
        return None
    released = rowcount(
        session.execute(
            update(CR)
            .where(CR.campaign_id == campaign.id, CR.status == R.HELD.value)
            .values(status=R.PENDING.value)
            .execution_options(synchronize_session=False)
        )
    )
    a, b = figures["A"], figures["B"]
    detail = (
        f"winner {winner} by {campaign.ab_metric}: A {a.opened}/{a.clicked}/{a.revenue} of {a.delivered}, "
        f"B {b.opened}/{b.clicked}/{b.revenue} of {b.delivered} (opens/clicks/revenue of delivered); "
        f"{released} released"
    )
    record_job(session, AuditAction.CAMPAIGN_AB_WINNER, "campaign", campaign.id, detail)
    logger.info("campaign %s: A/B winner %s, %s released", campaign.id, winner, released)
    return winner


def decide_due_tests(session: Session, now: datetime) -> list[tuple[int, str]]:
    """Every started test whose wait is over gets its winner (paused campaigns too: their rest waits for the
    resume). Commits each campaign; returns (campaign id, winner) for the ones this run decided."""
    candidates = session.scalars(
        select(Campaign).where(
            Campaign.ab_percent > 0,
            Campaign.subject_b.is_not(None),
            Campaign.ab_winner.is_(None),
            Campaign.started_at.is_not(None),
            Campaign.status.in_([CampaignStatus.SENDING.value, CampaignStatus.PAUSED.value]),
        )
    ).all()
    due = [
        c.id for c in candidates if c.started_at is not None and c.started_at + timedelta(hours=c.ab_wait_hours) <= now
    ]
    decided: list[tuple[int, str]] = []
    for campaign_id in due:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        winner = decide(session, campaign, now)
        session.commit()
        if winner is not None:
            decided.append((campaign_id, winner))
    return decided

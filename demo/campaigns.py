"""A year of sent demo campaigns, so «Итоги рассылок» and each campaign's report have something to show.

Every few weeks over the last year a campaign went to part of the demo buyers: recipients with opens, clicks and a
few unsubscribes, and some of those buyers' own paid orders placed within two weeks after the message credited to
it (``Order.campaign_id``, as a click or its promo code would have done). Deterministic for the same ``now`` and
seed; runs after ``crm seed-demo-buyers``. No message is sent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from crm.segments.models import Segment
from storefront.account.models import Buyer
from storefront.db import utcnow
from storefront.moscow import moscow_to_utc, to_moscow
from storefront.order.models import MONEY_IN, Order

SEED = 18
#: Name and how many days ago the campaign went out (10:00 Moscow), oldest first.
HISTORY = (
    ("Новые поступления из Гуанчжоу", 340),
    ("Скидка 10 % на повторный заказ", 300),
    ("Хиты продаж месяца", 258),
    ("Детская одежда: новая коллекция", 215),
    ("Спортивная обувь оптом", 170),
    ("Аксессуары к сезону", 128),
    ("Товары для дома со склада в Харбине", 86),
    ("Последний шанс: остатки со скидкой", 45),
    ("Новинки недели для постоянных клиентов", 12),
)
ORDER_WINDOW = timedelta(days=14)
BODY_HTML = "<p>Здравствуйте, {{ buyer.first_name }}!</p><p>Новые товары уже в каталоге.</p>"
BODY_TEXT = "Здравствуйте, {{ buyer.first_name }}!\n\nНовые товары уже в каталоге.\n"


@dataclass
class CampaignHistory:
    campaigns: int = 0
    messages: int = 0
    orders: int = 0


def has_campaign_history(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Campaign).where(Campaign.started_at.is_not(None))))


def seed_campaign_history(session: Session, now: datetime | None = None, seed: int = SEED) -> CampaignHistory:
    """Add the sent campaigns of ``HISTORY`` with recipients and credited orders. Flushes; the caller commits."""
    now = now or utcnow()
    rng = random.Random(seed)
    report = CampaignHistory()
    buyers = list(session.execute(select(Buyer.id, Buyer.email).where(Buyer.erased_at.is_(None)).order_by(Buyer.id)))
    if not buyers:
        return report
    segment_id = session.scalar(select(Segment.id).order_by(Segment.id))
    paid: dict[int, list[Order]] = {}
    for order in session.scalars(
        select(Order).where(Order.payment_status.in_(MONEY_IN), Order.campaign_id.is_(None)).order_by(Order.id)
    ):
        if order.buyer_id is not None:
            paid.setdefault(order.buyer_id, []).append(order)
    today = to_moscow(now).date()
    for number, (name, days_ago) in enumerate(HISTORY, start=1):
        started = moscow_to_utc(datetime.combine(today - timedelta(days=days_ago), time(10)))
        campaign = Campaign(
            name=name,
            slug=f"demo-history-{number}",
            segment_id=segment_id,
            subject="{{ buyer.first_name }}, " + name[0].lower() + name[1:],
            body_html=BODY_HTML,
            body_text=BODY_TEXT,
            status=CampaignStatus.SENT,
            scheduled_at=started,
            started_at=started,
            finished_at=started + timedelta(hours=2),
        )
        session.add(campaign)
        session.flush()
        report.campaigns += 1
        open_share, click_share = rng.uniform(0.25, 0.45), rng.uniform(0.15, 0.35)
        credit_share = rng.uniform(0.25, 0.6)
        for buyer_id, email in rng.sample(buyers, k=max(1, int(len(buyers) * rng.uniform(0.4, 0.7)))):
            roll = rng.random()
            status = (
                RecipientStatus.FAILED
                if roll < 0.02
                else RecipientStatus.SKIPPED
                if roll < 0.05
                else RecipientStatus.SENT
            )
            row = CampaignRecipient(campaign_id=campaign.id, buyer_id=buyer_id, email=email, status=status)
            session.add(row)
            if status != RecipientStatus.SENT:
                continue
            report.messages += 1
            row.sent_at = started + timedelta(minutes=rng.randint(0, 110))
            row.attempts = 1
            if rng.random() < open_share:
                row.first_opened_at = row.sent_at + timedelta(minutes=rng.randint(3, 60 * 72))
                row.open_count = rng.randint(1, 4)
                if rng.random() < click_share:
                    row.first_clicked_at = row.first_opened_at + timedelta(minutes=rng.randint(0, 30))
                    row.click_count = rng.randint(1, 3)
            if rng.random() < 0.012:
                row.unsubscribed_at = row.sent_at + timedelta(hours=rng.randint(1, 96))
            for order in paid.get(buyer_id, []):
                placed = order.created_at
                if order.campaign_id is None and row.sent_at <= placed < row.sent_at + ORDER_WINDOW:
                    if rng.random() < credit_share:
                        order.campaign_id = campaign.id
                        report.orders += 1
        session.flush()
    return report

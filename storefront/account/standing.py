"""A buyer's standing for their account page: current tier, 12-month spend, what this tier and the next give and
how much more spend reaches the next one.

Spend is ``storefront.payment.spend`` (the same rule the CRM grades tiers by); the tier itself is whatever the CRM
last assigned (``Buyer.tier_id``), so the page never disagrees with checkout's discount. A buyer the CRM has not
graded yet is shown in the first tier (``tier_benefits.base_tier``), as registration puts new buyers there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.account.models import Buyer, Tier
from storefront.account.tier_benefits import TierOutlook, TierTerms, tier_outlook
from storefront.account.tier_progress import Progress, progress_to_next
from storefront.db import utcnow
from storefront.payment.spend import buyer_spend, window_start


@dataclass(frozen=True)
class Standing:
    tier: Tier | None
    spend_12m: Decimal
    progress: Progress
    #: No tier at all is defined (a fresh shop): the page says nothing about tiers.
    no_tiers: bool
    outlook: TierOutlook


def buyer_standing(session: Session, buyer: Buyer, terms: TierTerms, now: datetime | None = None) -> Standing:
    tiers = list(session.scalars(select(Tier).order_by(Tier.threshold_amount, Tier.id)))
    spend = buyer_spend(session, buyer.id, window_start(now or utcnow()))
    outlook = tier_outlook(tiers, buyer.tier, spend, terms)
    return Standing(outlook.tier, spend, progress_to_next(tiers, outlook.tier, spend), not tiers, outlook)

"""The CRM's tier history (the per-buyer state — spend, manager, grace — is ``crm.buyers.models.BuyerProfile``).

The tier policy itself (``Tier``) and the buyer's current tier (``Buyer.tier_id``) live in the storefront,
because checkout reads them; the CRM computes and writes them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.account.models import Tier
from storefront.db import Base, utcnow


class TierChange(Base):
    """Every change of a buyer's tier: old/new, spend at the time, reason."""

    __tablename__ = "crm_tier_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"))
    old_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id", ondelete="SET NULL"))
    new_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id", ondelete="SET NULL"))
    spend_12m: Mapped[Decimal] = mapped_column()
    #: ``payment`` (upgrade on a paid order), ``recalc: …`` (periodic recalculation), ``manual: …`` (staff).
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    old_tier: Mapped[Tier | None] = relationship(foreign_keys=[old_tier_id])
    new_tier: Mapped[Tier | None] = relationship(foreign_keys=[new_tier_id])

    __table_args__ = (Index("ix_crm_tier_changes_buyer", "buyer_id", "created_at"),)

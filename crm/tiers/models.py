"""The CRM's tier bookkeeping: per-buyer state (spend, manager, grace) and the tier history.

The tier policy itself (``Tier``) and the buyer's current tier (``Buyer.tier_id``) live in the storefront,
because checkout reads them; the CRM computes and writes them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.staff.models import StaffUser
from storefront.account.models import Tier
from storefront.db import Base, utcnow


class BuyerProfile(Base):
    """One row per buyer the CRM has looked at: 12-month spend, earned tier, grace start, manager."""

    __tablename__ = "crm_buyer_profiles"

    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"), primary_key=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), index=True)
    #: Paid spend over the last 12 months net of refunds, as of ``computed_at``.
    spend_12m: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    #: The tier the spend earns (may be below the current one during the grace period).
    earned_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id", ondelete="SET NULL"))
    #: Since when spend has been below the current tier's threshold (None: not below).
    below_since: Mapped[datetime | None] = mapped_column()
    computed_at: Mapped[datetime | None] = mapped_column()
    #: A manual tier set by staff holds (no downgrade) until ``manual_until``; upgrades still apply.
    manual_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tiers.id", ondelete="SET NULL"))
    manual_until: Mapped[datetime | None] = mapped_column()
    manual_reason: Mapped[str | None] = mapped_column(String(200))

    manual_tier: Mapped[Tier | None] = relationship(foreign_keys=[manual_tier_id])
    manager: Mapped[StaffUser | None] = relationship()

    def manual_active(self, now: datetime) -> bool:
        return self.manual_until is not None and self.manual_until > now


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

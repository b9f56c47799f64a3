"""The CRM's per-buyer state: 12-month spend, earned tier, grace start, manual tier and account manager.

The tier rules write the spend and tier columns (``crm.tiers.services``); assignment writes ``manager_id``
(``crm.buyers.services``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.staff.models import StaffUser
from storefront.account.models import Tier
from storefront.db import Base


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

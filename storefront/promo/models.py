"""Promo codes (created by CRM campaigns, checked at checkout)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin, utcnow


class PromoKind(enum.StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


class PromoCode(TimestampMixin, Base):
    __tablename__ = "promo_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored upper case; buyers may type it in any case.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[PromoKind] = mapped_column(String(16))
    #: For PERCENT: basis points of the goods total after the tier discount (1000 = 10 %).
    percent_bp: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: For FIXED: roubles off (never more than the goods total).
    fixed_amount: Mapped[Decimal | None] = mapped_column()
    min_order_amount: Mapped[Decimal | None] = mapped_column()
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    usage_limit: Mapped[int | None] = mapped_column(Integer)
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Uses allowed to one buyer (by account, or by e-mail for guests); None = no per-buyer limit.
    per_buyer_limit: Mapped[int | None] = mapped_column(Integer)
    #: Tier codes allowed to use it; None = everyone.
    tier_codes: Mapped[list[Any] | None] = mapped_column(JSON)
    #: The CRM campaign that issued it (no foreign key: campaigns live in ``crm``).
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'fixed')", name="kind_known"),
        CheckConstraint("percent_bp BETWEEN 0 AND 10000", name="percent_range"),
        CheckConstraint("used_count >= 0", name="used_not_negative"),
        CheckConstraint("per_buyer_limit IS NULL OR per_buyer_limit >= 1", name="per_buyer_positive"),
    )


class PromoUse(Base):
    """One use of a code by an order. The per-buyer limit is the uniqueness rule: the n-th use of a code by one
    holder takes ``seq`` = n, (code, holder, seq) is unique and ``seq`` may not exceed the limit, so two orders
    racing for a buyer's last use cannot both be placed. Without a per-buyer limit ``seq`` is NULL."""

    __tablename__ = "promo_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    promo_id: Mapped[int] = mapped_column(ForeignKey("promo_codes.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id", ondelete="SET NULL"), index=True)
    #: ``buyer:<id>`` for a signed-in buyer, ``email:<address>`` for a guest.
    holder: Mapped[str] = mapped_column(String(270))
    seq: Mapped[int | None] = mapped_column(Integer)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("promo_id", "holder", "seq", name="uq_promo_uses_holder_seq"),
        CheckConstraint("seq IS NULL OR seq >= 1", name="seq_positive"),
    )

"""Per-buyer reorder statistics, kept by ``crm.reorder.services`` (incrementally and by the full recompute)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, UTCDateTime


class ReorderStatus(enum.StrEnum):
    NEW = "new"  # no paid order yet
    ACTIVE = "active"  # the next order is not expected soon
    DUE = "due"  # expected within the next N days
    OVERDUE = "overdue"  # past the expected date
    LAPSED = "lapsed"  # past it by more than a multiple of the interval


#: What staff see for each status (the card, lists, filters and the segment builder all use these).
STATUS_LABELS = {
    ReorderStatus.NEW: _l("new"),
    ReorderStatus.ACTIVE: _l("active"),
    ReorderStatus.DUE: _l("due to reorder"),
    ReorderStatus.OVERDUE: _l("overdue"),
    ReorderStatus.LAPSED: _l("lapsed"),
}

_STATUS_SQL = ", ".join(f"'{status.value}'" for status in ReorderStatus)


class BuyerStats(Base):
    """One row per buyer. Paid orders = orders with a succeeded payment not refunded in full."""

    __tablename__ = "crm_buyer_stats"

    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"), primary_key=True)
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    first_paid_at: Mapped[datetime | None] = mapped_column()
    last_paid_at: Mapped[datetime | None] = mapped_column()
    #: Median days between consecutive paid orders (None below two orders).
    median_interval_days: Mapped[float | None] = mapped_column(Float)
    #: last_paid_at + the buyer's median interval (one order: the platform's median second-order interval).
    expected_next_at: Mapped[datetime | None] = mapped_column()
    #: expected_next_at + lapse multiple × interval: from here on the buyer counts as lapsed.
    lapse_at: Mapped[datetime | None] = mapped_column()
    #: Spend net of refunds over the last 12 months (as of ``computed_at``) and over the whole history.
    spend_12m: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    spend_total: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    average_order: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    status: Mapped[ReorderStatus] = mapped_column(String(16), default=ReorderStatus.NEW)
    status_since: Mapped[datetime | None] = mapped_column()
    computed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status_known"),
        Index("ix_crm_buyer_stats_status_spend", "status", "spend_12m"),
        Index("ix_crm_buyer_stats_expected", "expected_next_at"),
    )


class ReorderBaseline(Base):
    """The platform's median days from a buyer's first to second paid order (one row, id 1).

    Refreshed by the full recompute; the per-payment update reads it, so one payment never scans everyone.
    """

    __tablename__ = "crm_reorder_baseline"

    id: Mapped[int] = mapped_column(primary_key=True)
    second_order_days: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime | None] = mapped_column()


class BuyerCategory(Base):
    """The categories a buyer has bought in, with how many paid orders held them: what «categories bought» in a
    segment reads (one index range per category instead of joining every order line) and what the card lists as
    the buyer's most reordered categories. Kept with ``BuyerStats``, by the same paid-order definition."""

    __tablename__ = "crm_buyer_categories"

    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)
    order_count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_crm_buyer_categories_category", "category_id", "buyer_id"),)


class RetentionSnapshot(Base):
    """The retention page's figures as the nightly job computed them: live, they take seconds at 1,000,000 orders."""

    __tablename__ = "crm_retention_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: ``crm.reorder.snapshot.figures_to_json`` of the four tables.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)

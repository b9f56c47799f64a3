"""Quotes (коммерческие предложения): an account manager's offer to one buyer at negotiated unit prices, valid
until a date, that the buyer turns into an order with one click.

Invariants: a quote is accepted at most once (``services.accept_quote`` moves ``sent`` → ``accepted`` with one
conditional UPDATE, and the order it places carries the unique placement token ``quote-<id>``); a line's
quantity is positive and its prices positive (CHECKs; MOQ in ``services``); a quote below the price floor is not
shown to the buyer until an admin approves it (``approval`` = ``pending``).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.account.models import Buyer
from storefront.db import Base, utcnow


class QuoteStatus(enum.StrEnum):
    DRAFT = "draft"
    #: Sent to the buyer (or, with ``approval`` pending, waiting for an admin before it is).
    SENT = "sent"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Approval(enum.StrEnum):
    #: Every price is within the floor: no approval needed.
    NONE = "none"
    PENDING = "pending"
    APPROVED = "approved"


def _in_sql(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{value.value}'" for value in values)


class Quote(Base):
    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"), index=True)
    status: Mapped[QuoteStatus] = mapped_column(String(16), default=QuoteStatus.DRAFT)
    approval: Mapped[Approval] = mapped_column(String(16), default=Approval.NONE)
    #: Bumped by every change: a form carries the version it was built on, so a stale page changes nothing.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The last moment the buyer may accept (the end of a Moscow calendar day, stored UTC).
    valid_until: Mapped[datetime] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    #: The buyer's tier when the prices were last worked out (its discount is in ``QuoteLine.tier_price``).
    tier_code: Mapped[str | None] = mapped_column(String(32))
    tier_discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    #: Staff are the CRM's: no FK.
    created_by: Mapped[int | None] = mapped_column(Integer)
    approved_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), unique=True)

    buyer: Mapped[Buyer] = relationship()
    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", order_by="QuoteLine.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(f"status IN ({_in_sql(QuoteStatus)})", name="status_known"),
        CheckConstraint(f"approval IN ({_in_sql(Approval)})", name="approval_known"),
        Index("ix_quotes_status_valid_until", "status", "valid_until"),
    )

    @property
    def number(self) -> str:
        return f"КП-{self.id:06d}"

    @property
    def total(self) -> Decimal:
        return sum((line.line_amount for line in self.lines), Decimal("0.00"))

    @property
    def awaiting_approval(self) -> bool:
        return self.status == QuoteStatus.SENT and self.approval == Approval.PENDING

    @property
    def offered(self) -> bool:
        """Sent and visible to the buyer (approved, or no approval needed)."""
        return self.status == QuoteStatus.SENT and self.approval != Approval.PENDING


class QuoteLine(Base):
    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    #: The catalogue's price break for the quantity, in roubles, when the line was last priced.
    list_price: Mapped[Decimal] = mapped_column()
    #: ``list_price`` less the buyer's tier discount: what the buyer would pay without the quote.
    tier_price: Mapped[Decimal] = mapped_column()
    #: The negotiated price the buyer pays.
    unit_price: Mapped[Decimal] = mapped_column()

    quote: Mapped[Quote] = relationship(back_populates="lines")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price > 0 AND list_price > 0 AND tier_price > 0", name="prices_positive"),
    )

    @property
    def line_amount(self) -> Decimal:
        return self.unit_price * self.quantity

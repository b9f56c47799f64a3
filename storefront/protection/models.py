"""Buyer protection: disputes over an order (the lines and quantities they concern, a message thread with photos)
and the staff decision that ends each one.

Invariants: one open dispute per order at a time (``orders.under_dispute``, set and cleared by conditional UPDATEs
in ``services.py``: the auto-confirmation job and a dispute opened at the same moment cannot both win); a dispute
line's quantity is between 1 and the ordered quantity (CHECK > 0, the rest in ``services.open_dispute``); a photo
belongs to one message and its file name is random (``photos.py``).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, utcnow
from storefront.order.models import Order, OrderLine


class DisputeReason(enum.StrEnum):
    NOT_RECEIVED = "not_received"
    WRONG_ITEM = "wrong_item"
    WRONG_QUANTITY = "wrong_quantity"
    DEFECT = "defect"
    NOT_AS_DESCRIBED = "not_as_described"


class DisputeKind(enum.StrEnum):
    """Opened in the inspection window (the order waits), or a quality claim after confirmation."""

    INSPECTION = "inspection"
    QUALITY = "quality"


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    #: «Return, then refund» decided: the goods are on their way back; the refund follows their arrival.
    AWAITING_RETURN = "awaiting_return"
    CLOSED = "closed"


class Decision(enum.StrEnum):
    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    RETURN_REFUND = "return_refund"
    REJECTED = "rejected"


#: Decisions that return money (``RETURN_REFUND`` once the goods are back).
REFUNDING = frozenset({Decision.FULL_REFUND, Decision.PARTIAL_REFUND, Decision.RETURN_REFUND})


def _in_sql(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{value.value}'" for value in values)


class Dispute(Base):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DisputeKind] = mapped_column(String(16))
    reason: Mapped[DisputeReason] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[DisputeStatus] = mapped_column(String(16), default=DisputeStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A staff answer is due by then (the buyer's tier sets the days: ``AnswerPolicy``).
    answer_due_at: Mapped[datetime] = mapped_column()
    #: The first staff reply the buyer could read, or the decision.
    answered_at: Mapped[datetime | None] = mapped_column()
    decision: Mapped[Decision | None] = mapped_column(String(16))
    #: What the decision returns (None: nothing, or everything left for a full refund until it is made).
    refund_amount: Mapped[Decimal | None] = mapped_column()
    #: The rejection's reason, or the staff member's words on any decision; the buyer reads it.
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column()
    #: Staff are the CRM's: no FK.
    decided_by: Mapped[int | None] = mapped_column(Integer)
    #: The refund made for the decision (its key is ``dispute-<id>``: made once however often it is asked for).
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column()

    order: Mapped[Order] = relationship()
    lines: Mapped[list[DisputeLine]] = relationship(
        back_populates="dispute", order_by="DisputeLine.id", cascade="all, delete-orphan"
    )
    messages: Mapped[list[DisputeMessage]] = relationship(
        back_populates="dispute", order_by="DisputeMessage.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(f"kind IN ({_in_sql(DisputeKind)})", name="kind_known"),
        CheckConstraint(f"reason IN ({_in_sql(DisputeReason)})", name="reason_known"),
        CheckConstraint(f"status IN ({_in_sql(DisputeStatus)})", name="status_known"),
        CheckConstraint(f"decision IS NULL OR decision IN ({_in_sql(Decision)})", name="decision_known"),
        CheckConstraint("refund_amount IS NULL OR refund_amount > 0", name="refund_positive"),
        Index("ix_disputes_status_due", "status", "answer_due_at"),
    )

    @property
    def is_open(self) -> bool:
        return self.status != DisputeStatus.CLOSED


class DisputeLine(Base):
    """An order line the dispute is about, and how many of its pieces."""

    __tablename__ = "dispute_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)

    dispute: Mapped[Dispute] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("dispute_id", "order_line_id", name="uq_dispute_lines_line"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


class DisputeMessage(Base):
    """One message of the thread: the buyer's, a staff reply, or an internal note (staff only)."""

    __tablename__ = "dispute_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    #: None: the buyer wrote it; else the CRM staff member (no FK: staff are the CRM's).
    staff_id: Mapped[int | None] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    #: Staff only: never shown to the buyer nor e-mailed.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dispute: Mapped[Dispute] = relationship(back_populates="messages")
    photos: Mapped[list[DisputePhoto]] = relationship(
        back_populates="message", order_by="DisputePhoto.id", cascade="all, delete-orphan"
    )


class DisputePhoto(Base):
    """A photo attached to a message, re-encoded without metadata under ``MEDIA_ROOT/disputes/``."""

    __tablename__ = "dispute_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("dispute_messages.id", ondelete="CASCADE"), index=True)
    #: ``<32 random hex>.<jpg|png|webp>``: the name on disk, never the uploaded one.
    file_name: Mapped[str] = mapped_column(String(40), unique=True)
    content_type: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    message: Mapped[DisputeMessage] = relationship(back_populates="photos")

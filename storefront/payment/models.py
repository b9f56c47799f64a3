"""Payment attempts, refunds and the log of received YooKassa notifications.

A ``Payment`` row is one attempt to pay an order. Its idempotence key is stored (and committed)
BEFORE the API is called, so a crash, timeout or 500 leaves an ``unknown`` attempt that is
repeated with the same key and the same request data, never duplicated. Statuses only move
forward (``STATUS_RANK``), by conditional UPDATEs.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, TimestampMixin, utcnow
from storefront.order.models import Order


class AttemptStatus(enum.StrEnum):
    #: Stored before the call, or the call gave no definite answer: repeat with the same key.
    UNKNOWN = "unknown"
    PENDING = "pending"
    WAITING_FOR_CAPTURE = "waiting_for_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


#: Forward-only: a status may only be replaced by one of a higher rank.
STATUS_RANK = {
    AttemptStatus.UNKNOWN: 0,
    AttemptStatus.PENDING: 1,
    AttemptStatus.WAITING_FOR_CAPTURE: 2,
    AttemptStatus.SUCCEEDED: 3,
    AttemptStatus.CANCELED: 3,
}
OPEN_STATUSES = (AttemptStatus.UNKNOWN, AttemptStatus.PENDING, AttemptStatus.WAITING_FOR_CAPTURE)


class RefundState(enum.StrEnum):
    UNKNOWN = "unknown"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class YooKassaMethod(enum.StrEnum):
    """How the buyer pays through YooKassa (``payment_method_data.type``)."""

    BANK_CARD = "bank_card"
    SBP = "sbp"


class ClosingReceiptState(enum.StrEnum):
    UNKNOWN = "unknown"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    NOT_NEEDED = "not_needed"


REFUND_RANK = {RefundState.UNKNOWN: 0, RefundState.PENDING: 1, RefundState.SUCCEEDED: 2, RefundState.CANCELED: 2}


class Payment(TimestampMixin, Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    idempotence_key: Mapped[str] = mapped_column(String(64), unique=True)
    yookassa_payment_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(24), default=AttemptStatus.UNKNOWN)
    amount: Mapped[Decimal] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    capture: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(128))
    return_url: Mapped[str] = mapped_column(String(1000))
    #: The 54-FZ ``receipt`` object exactly as sent ({"customer": …, "items": […]}).
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    confirmation_url: Mapped[str | None] = mapped_column(String(1000))
    cancellation_party: Mapped[str | None] = mapped_column(String(32))
    cancellation_reason: Mapped[str | None] = mapped_column(String(64))
    #: Key of the capture or cancel of a held payment (stored before that call too).
    settle_key: Mapped[str | None] = mapped_column(String(64))
    #: Why the last call had no definite answer (for staff), e.g. "create_payment: deadline".
    last_error: Mapped[str | None] = mapped_column(String(300))
    #: Set when the fetched amount/currency disagreed with ours: staff must look, nothing else changed.
    needs_review: Mapped[str | None] = mapped_column(String(300))
    succeeded_at: Mapped[datetime | None] = mapped_column()
    canceled_at: Mapped[datetime | None] = mapped_column()
    checked_at: Mapped[datetime | None] = mapped_column()
    #: ``bank_card`` or ``sbp`` (``YooKassaMethod``): the buyer's choice, sent as ``payment_method_data``.
    method: Mapped[str] = mapped_column(String(16), default="bank_card", server_default="bank_card")
    #: The closing receipt (чек зачёта предоплаты) sent when the goods are handed over: ``closing.py``.
    closing_receipt_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    closing_receipt_id: Mapped[str | None] = mapped_column(String(64))
    #: The closing receipt's ``{"customer": …, "items": […]}`` fixed with its key, so a retry sends the same data.
    closing_receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: None (not due yet), ``ClosingReceiptState``: unknown (key stored, no answer), pending, succeeded, canceled,
    #: not_needed (everything was refunded before the handover).
    closing_receipt_status: Mapped[str | None] = mapped_column(String(16))
    closing_receipt_error: Mapped[str | None] = mapped_column(String(300))
    closing_receipt_at: Mapped[datetime | None] = mapped_column()

    order: Mapped[Order] = relationship()
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    __table_args__ = (Index("ix_payments_status_updated", "status", "updated_at"),)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def failed(self) -> bool:
        return self.status == AttemptStatus.CANCELED


class Refund(TimestampMixin, Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    idempotence_key: Mapped[str] = mapped_column(String(64), unique=True)
    yookassa_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=RefundState.UNKNOWN)
    amount: Mapped[Decimal] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    description: Mapped[str] = mapped_column(String(250), default="")
    #: The 54-FZ refund receipt as sent.
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cancellation_reason: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(300))

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    #: The order lines the refund is for (a dispute's or staff's chosen lines); none: the whole order. The ledger
    #: allocates the refund over these lines only (``storefront.settlement.postings.refund_shares``).
    lines: Mapped[list[RefundLine]] = relationship(
        back_populates="refund", order_by="RefundLine.order_line_id", cascade="all, delete-orphan"
    )

    @property
    def line_ids(self) -> tuple[int, ...]:
        return tuple(line.order_line_id for line in self.lines)


class RefundLine(Base):
    """One order line a refund is for (written with the refund, before the payment service is called)."""

    __tablename__ = "refund_lines"

    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True)

    refund: Mapped[Refund] = relationship(back_populates="lines")


class PaymentNotification(Base):
    """Every notification received (once per event + object id + object status; repeats counted)."""

    __tablename__ = "payment_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    #: ``object.status`` as written in the body (untrusted; only for deduplication).
    object_status: Mapped[str] = mapped_column(String(32), default="")
    source_ip: Mapped[str] = mapped_column(String(45))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    times_received: Mapped[int] = mapped_column(Integer, default=1)
    #: What handling it did: "applied: succeeded", "unknown payment", "no change", …
    outcome: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("event", "object_id", "object_status", name="uq_payment_notifications_once"),)

"""The settlement ledger (append-only, double-entry, integer kopecks) and the supplier payout batches.

A ``LedgerTransaction`` is one fact about money (a payment captured, a refund, an order confirmed, a payout paid)
posted once: its ``idempotence_key`` is unique. Its ``LedgerEntry`` rows sum to zero (``journal.post``
refuses anything else). Amounts are signed kopecks: positive is a debit, negative a credit. Nothing here is
ever updated or deleted; a mistake is corrected by a reversing transaction.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, utcnow


class Account(enum.StrEnum):
    """Where money is. Credit balances (liabilities, revenue) are negative sums."""

    #: Money at the payment provider / the bank: debited when a payment is captured, credited by a refund.
    PROVIDER = "provider_cash"
    #: Held for the buyer until they confirm receipt (per order, per order line; shipping has no line).
    HELD = "buyer_held"
    #: What the platform owes a supplier for confirmed goods, net of commission.
    PAYABLE = "supplier_payable"
    #: The platform's commission on confirmed goods (``order_lines.commission_bp``).
    COMMISSION = "platform_commission"
    #: The shipping the buyer paid for, the platform's once the order is confirmed.
    SHIPPING = "platform_shipping"
    #: Paid out to suppliers (a payout batch marked paid).
    PAID_OUT = "supplier_paid_out"


class TransactionKind(enum.StrEnum):
    CAPTURE = "capture"
    REFUND = "refund"
    CONFIRM = "confirm"
    PAYOUT = "payout"
    REVERSAL = "reversal"


class PayoutStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    #: Cancelled before it was paid (with a reason): its payables are due again and go in a new batch.
    CANCELED = "canceled"


def _in_sql(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{value.value}'" for value in values)


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TransactionKind] = mapped_column(String(16))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    #: What it is about, for people: the YooKassa payment or refund id, the bank reference of a payout.
    reference: Mapped[str] = mapped_column(String(64), default="")
    #: ``capture:<payment id>``, ``refund:<refund id>``, ``confirm:<order id>``, ``payout:<batch id>``.
    idempotence_key: Mapped[str] = mapped_column(String(80), unique=True)
    #: When the fact happened (the payment's capture, the refund, the confirmation, the payout).
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: The CRM staff member who made it happen (no FK: staff are the CRM's); None for the buyer or the system.
    staff_id: Mapped[int | None] = mapped_column(Integer)

    entries: Mapped[list[LedgerEntry]] = relationship(back_populates="transaction", order_by="LedgerEntry.id")

    __table_args__ = (CheckConstraint(f"kind IN ({_in_sql(TransactionKind)})", name="kind_known"),)


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[Account] = mapped_column(String(24))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    #: The order (copied from the transaction, for the per-order balances) and its line (None: shipping, cash).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    #: Signed kopecks: positive debit, negative credit.
    amount: Mapped[int] = mapped_column(BigInteger)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")

    __table_args__ = (
        CheckConstraint(f"account IN ({_in_sql(Account)})", name="account_known"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_ledger_entries_order_account", "order_id", "account"),
        Index("ix_ledger_entries_supplier_account", "supplier_id", "account"),
    )


class PayoutBatch(Base):
    """Supplier payables due, gathered for one bank run; finance marks it paid with the bank's reference, or
    cancels it while it is open."""

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[PayoutStatus] = mapped_column(String(8), default=PayoutStatus.OPEN)
    #: Kopecks, the sum of the lines.
    total: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)
    paid_at: Mapped[datetime | None] = mapped_column()
    paid_by: Mapped[int | None] = mapped_column(Integer)
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    canceled_at: Mapped[datetime | None] = mapped_column()
    canceled_by: Mapped[int | None] = mapped_column(Integer)
    #: Why finance cancelled the batch (shown on the batch page and the list).
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    lines: Mapped[list[PayoutLine]] = relationship(back_populates="batch", order_by="PayoutLine.id")

    __table_args__ = (
        CheckConstraint(f"status IN ({_in_sql(PayoutStatus)})", name="status_known"),
        CheckConstraint("total > 0", name="total_positive"),
        # One open batch at a time (``storefront.settlement.payouts``).
        Index(
            "ix_payout_batches_one_open",
            "status",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class PayoutLine(Base):
    __tablename__ = "payout_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    #: Kopecks.
    amount: Mapped[int] = mapped_column(BigInteger)

    batch: Mapped[PayoutBatch] = relationship(back_populates="lines")

    __table_args__ = (
        UniqueConstraint("batch_id", "supplier_id", name="uq_payout_lines_batch_supplier"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

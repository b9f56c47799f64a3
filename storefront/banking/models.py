"""Bank statements: each imported file (``BankImport``) and each incoming payment document read from one
(``BankDocument``), with what became of it: matched to an order and paid, or waiting in the review queue, or
resolved there by staff.

A bank document is the same document in whatever file it arrives: its date, number, payer account and amount
(``uq_bank_documents_identity``), so importing a statement twice (or two overlapping statements) adds nothing.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin, utcnow


class DocumentState(enum.StrEnum):
    #: Matched by the import: the order was paid by it.
    MATCHED = "matched"
    #: Waiting for staff (``reason`` says why).
    REVIEW = "review"
    #: Staff matched it to an order, which it paid.
    MATCHED_BY_HAND = "matched_by_hand"
    #: Staff marked it «не наш платёж»: it pays nothing.
    NOT_OURS = "not_ours"


class ReviewReason(enum.StrEnum):
    """Why a payment was not matched by itself."""

    #: No order number of ours in the purpose, or no such order.
    NO_ORDER = "no_order"
    #: The purpose names more than one of our orders.
    SEVERAL_ORDERS = "several_orders"
    #: Less than the order total.
    PARTIAL = "partial"
    #: More than the order total.
    OVERPAID = "overpaid"
    #: The payer's INN is not the order's company INN.
    OTHER_PAYER = "other_payer"
    #: The order is paid already, or canceled.
    NOT_PAYABLE = "not_payable"


def _in_sql(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{value.value}'" for value in values)


class BankImport(Base):
    """One statement file imported (by the CLI, ``staff_id`` None, or by a staff member in the CRM)."""

    __tablename__ = "bank_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: The statement's own account (its header's РасчСчет), as written.
    account: Mapped[str] = mapped_column(String(34), default="")
    encoding: Mapped[str] = mapped_column(String(16), default="")
    #: No FK: staff are the CRM's.
    staff_id: Mapped[int | None] = mapped_column(Integer)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    to_review: Mapped[int] = mapped_column(Integer, default=0)
    already: Mapped[int] = mapped_column(Integer, default=0)
    #: Documents not paid to our account (our own payments out, other accounts).
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BankDocument(TimestampMixin, Base):
    """An incoming payment to our account, as the bank reported it, and what it paid."""

    __tablename__ = "bank_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("bank_imports.id", ondelete="CASCADE"), index=True)
    doc_date: Mapped[date] = mapped_column(Date)
    number: Mapped[str] = mapped_column(String(32))
    payer_account: Mapped[str] = mapped_column(String(34), default="")
    amount: Mapped[Decimal] = mapped_column()
    payer_name: Mapped[str] = mapped_column(String(500), default="")
    payer_inn: Mapped[str] = mapped_column(String(12), default="")
    payer_kpp: Mapped[str] = mapped_column(String(9), default="")
    payee_account: Mapped[str] = mapped_column(String(34), default="")
    purpose: Mapped[str] = mapped_column(String(1000), default="")
    received_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default=DocumentState.REVIEW)
    reason: Mapped[str | None] = mapped_column(String(20))
    #: Our order numbers found in the purpose (normalised), for staff.
    found_numbers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The order it paid (or, in review, the one the purpose names when there is exactly one).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    #: The «bank transfer» payment row it made (one document pays at most once).
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"), unique=True)
    #: Who resolved it in the review queue (no FK: staff are the CRM's), when, and their note.
    staff_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column()
    note: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = (
        UniqueConstraint("doc_date", "number", "payer_account", "amount", name="uq_bank_documents_identity"),
        CheckConstraint(f"state IN ({_in_sql(DocumentState)})", name="state_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_bank_documents_state_id", "state", "id"),
    )

    @property
    def reference(self) -> str:
        """How staff and the order history name it: «п/п № 105 от 09.12.2026»."""
        return f"п/п № {self.number} от {self.doc_date:%d.%m.%Y}"

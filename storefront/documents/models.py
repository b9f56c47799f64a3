"""Closing documents: the УПД issued for an order, and the counters that number documents per calendar year."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base


class DocumentCounter(Base):
    """The last number given to a kind of document in a (Moscow) calendar year. An issuer writes this row first
    (``storefront.documents.numbering``): the row lock orders the issuers, so numbers follow without gaps."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number_not_negative"),)


class Upd(Base):
    """A УПД (status 1: счёт-фактура and передаточный документ) for one order handed over to a company or a sole
    trader. Its contents are frozen at issue (``body``: the parties, lines and totals as printed), so a later change
    of our requisites or the buyer's never rewrites a document already sent."""

    __tablename__ = "upd_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One УПД per order, however many times or from however many places the hand-over is reported.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), unique=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    number: Mapped[int] = mapped_column(Integer)
    #: The document's date, Moscow: the day of the hand-over.
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column()
    total_amount: Mapped[Decimal] = mapped_column()
    vat_amount: Mapped[Decimal] = mapped_column()
    body: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_upd_documents_year_number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

"""Exchange rates from the Central Bank of Russia and the pricing policy applied to them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, RateType, utcnow


class ExchangeRate(Base):
    """Roubles per one unit of ``currency`` on ``rate_date``, as published by the CBR."""

    __tablename__ = "exchange_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(RateType())
    nominal: Mapped[int] = mapped_column(Integer, default=1)
    #: The date the CBR says the rates apply to (``ValCurs/@Date``).
    rate_date: Mapped[date] = mapped_column(Date)
    cbr_id: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(255))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("currency", "rate_date"),
        CheckConstraint("rate > 0", name="rate_positive"),
    )


class PriceRounding(enum.StrEnum):
    """How shown rouble prices are rounded (half up) after conversion and markup."""

    KOPECK = "kopeck"
    ROUBLE = "rouble"
    TEN_ROUBLES = "ten_roubles"

    @property
    def step_minor(self) -> int:
        return {"kopeck": 1, "rouble": 100, "ten_roubles": 1000}[self.value]


class PricingPolicy(Base):
    """The single row of pricing settings administrators edit."""

    __tablename__ = "pricing_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Markup over the converted supplier price, in basis points (1500 = 15 %).
    markup_bp: Mapped[int] = mapped_column(Integer, default=1500)
    rounding: Mapped[PriceRounding] = mapped_column(String(16), default=PriceRounding.ROUBLE)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("markup_bp BETWEEN 0 AND 100000", name="markup_range"),
        CheckConstraint("rounding IN ('kopeck', 'rouble', 'ten_roubles')", name="rounding_known"),
    )

    @property
    def markup_percent(self) -> Decimal:
        return Decimal(self.markup_bp) / 100

"""Shipping methods and their rates by zone (see ``shipping.regions`` for the zones)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base


class ShippingMethod(Base):
    __tablename__ = "shipping_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    carrier: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Goods total (after discounts) from which shipping is free; None = never free.
    free_threshold_amount: Mapped[Decimal | None] = mapped_column()
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    rates: Mapped[list[ShippingRate]] = relationship(
        back_populates="method", order_by="ShippingRate.zone", cascade="all, delete-orphan"
    )


class ShippingRate(Base):
    """Price to one zone: base + per started kilogram, and the delivery estimate in days."""

    __tablename__ = "shipping_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("shipping_methods.id", ondelete="CASCADE"))
    zone: Mapped[int] = mapped_column(SmallInteger)
    base_amount: Mapped[Decimal] = mapped_column()
    per_kg_amount: Mapped[Decimal] = mapped_column()
    min_days: Mapped[int] = mapped_column(SmallInteger)
    max_days: Mapped[int] = mapped_column(SmallInteger)

    method: Mapped[ShippingMethod] = relationship(back_populates="rates")

    __table_args__ = (
        UniqueConstraint("method_id", "zone"),
        CheckConstraint("zone BETWEEN 1 AND 5", name="zone_range"),
        CheckConstraint("min_days >= 1 AND max_days >= min_days", name="days_order"),
    )

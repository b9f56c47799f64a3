"""Orders: snapshots of contact, company and address, frozen lines, totals, and status history."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, TimestampMixin, utcnow


class OrderStatus(enum.StrEnum):
    """What is happening to the goods. The money has its own state (``PaymentStatus``)."""

    NEW = "new"
    CONFIRMED = "confirmed"  # the supplier has confirmed it can make and send the goods
    PACKED = "packed"
    SHIPPED = "shipped"  # at least one shipment is on its way
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELED = "canceled"


class PaymentStatus(enum.StrEnum):
    """What happened to the money, apart from the goods (Saleor's ``charge_status``)."""

    UNPAID = "unpaid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


#: Which fulfilment status may follow which. Everything else is refused (the test walks every pair).
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NEW: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.CANCELED}),
    OrderStatus.PACKED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.COMPLETED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
}

#: Fulfilment statuses an order reaches only while its money is in (paid, or refunded in part).
NEEDS_PAYMENT = frozenset(
    {OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
)

#: Which payment status may follow which; a further partial refund keeps ``partially_refunded``.
PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.UNPAID: frozenset({PaymentStatus.PAID}),
    PaymentStatus.PAID: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.PARTIALLY_REFUNDED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.REFUNDED: frozenset(),
}

#: The money is in (wholly or in part): what fulfilment needs, and what «paid orders» means everywhere.
MONEY_IN = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED})


#: The common reasons staff cancel an order for (stored as the cancel step's ``note``; the words are in
#: ``storefront.order.web.reason_label``). Anything else is written in the staff member's own words.
CANCEL_REASONS = ("buyer_asked", "supplier_out_of_stock", "supplier_price_changed", "cannot_deliver", "duplicate")


class HistoryKind(enum.StrEnum):
    FULFILMENT = "fulfilment"
    PAYMENT = "payment"


def _in_sql(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{value.value}'" for value in values)


class Order(TimestampMixin, Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: MK-2026-004217: read over the phone; set right after the row gets its id.
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    #: The token from the checkout form: a resubmitted form finds this order instead of making another.
    placement_token: Mapped[str] = mapped_column(String(64), unique=True)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id", ondelete="SET NULL"), index=True)
    status: Mapped[OrderStatus] = mapped_column(String(24), default=OrderStatus.NEW)
    payment_status: Mapped[PaymentStatus] = mapped_column(String(24), default=PaymentStatus.UNPAID)

    email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[str] = mapped_column(String(16))
    contact_name: Mapped[str] = mapped_column(String(200))
    buyer_kind: Mapped[str] = mapped_column(String(16), default="person")
    company_name: Mapped[str | None] = mapped_column(String(300))
    inn: Mapped[str | None] = mapped_column(String(12))
    kpp: Mapped[str | None] = mapped_column(String(9))
    ogrn: Mapped[str | None] = mapped_column(String(15))
    legal_address: Mapped[str | None] = mapped_column(String(500))

    region_code: Mapped[str] = mapped_column(String(8))
    city: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(6))
    street: Mapped[str] = mapped_column(String(500))
    recipient: Mapped[str] = mapped_column(String(200))
    recipient_phone: Mapped[str] = mapped_column(String(16))

    shipping_method_id: Mapped[int | None] = mapped_column(ForeignKey("shipping_methods.id", ondelete="SET NULL"))
    shipping_method_name: Mapped[str] = mapped_column(String(200))
    shipping_min_days: Mapped[int] = mapped_column(SmallInteger)
    shipping_max_days: Mapped[int] = mapped_column(SmallInteger)
    #: The СДЭК pickup point chosen at checkout, as the buyer saw it (code, city, address, hours); None: no point.
    pickup_point: Mapped[str | None] = mapped_column(String(500))

    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    subtotal_amount: Mapped[Decimal] = mapped_column()
    tier_code: Mapped[str | None] = mapped_column(String(32))
    tier_discount_bp: Mapped[int] = mapped_column(SmallInteger, default=0)
    tier_discount_amount: Mapped[Decimal] = mapped_column()
    promo_code: Mapped[str | None] = mapped_column(String(40))
    promo_discount_amount: Mapped[Decimal] = mapped_column()
    #: The marketing campaign credited with this order (see ``order/attribution.py``; no FK: campaigns are CRM's).
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
    shipping_amount: Mapped[Decimal] = mapped_column()
    total_amount: Mapped[Decimal] = mapped_column()
    vat_amount: Mapped[Decimal] = mapped_column()
    #: CBR rates used for the rouble prices, {"USD": "80.1234", ...}.
    fx_rates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    #: How the buyer chose to pay (``holds.PaymentMethod``): online through YooKassa, or by bank transfer against
    #: the invoice (companies and sole traders); it decides the hold and where the buyer goes after placing.
    payment_method: Mapped[str] = mapped_column(String(16), default="card", server_default="card")
    #: Unpaid, the order is canceled and its stock released at this time (``holds.payment_hold``).
    expires_at: Mapped[datetime | None] = mapped_column()
    #: The address the order was placed from (``UNPAID_ORDERS_PER_CLIENT`` counts by it too).
    client_ip: Mapped[str | None] = mapped_column(String(45))
    paid_at: Mapped[datetime | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()
    shipped_at: Mapped[datetime | None] = mapped_column()
    canceled_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    #: A buyer's dispute is open (``storefront.protection``): the order does not complete by itself meanwhile.
    #: Set and cleared by conditional UPDATEs, so auto-confirmation and a dispute opened at once cannot both win.
    under_dispute: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Part of every guest link (``order.services.make_access_token``); staff raise it to revoke them all.
    access_version: Mapped[int] = mapped_column(default=1, server_default="1")

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    history: Mapped[list[OrderStatusChange]] = relationship(
        back_populates="order", order_by="OrderStatusChange.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(f"status IN ({_in_sql(OrderStatus)})", name="status_known"),
        CheckConstraint(f"payment_status IN ({_in_sql(PaymentStatus)})", name="payment_status_known"),
        CheckConstraint("total_amount >= 0", name="total_not_negative"),
        CheckConstraint("payment_method IN ('card', 'bank_transfer')", name="payment_method_known"),
        Index("ix_orders_status_expires_at", "status", "expires_at"),
        Index("ix_orders_client_ip", "client_ip"),
        Index("ix_orders_status_created", "status", "created_at"),
        Index("ix_orders_buyer_created", "buyer_id", "created_at"),
        # The CRM order list: its sorts and date ranges, and the tabs' counts (migration 0016).
        Index("ix_orders_created_at", "created_at"),
        Index("ix_orders_paid_at", "paid_at"),
        Index("ix_orders_total_amount", "total_amount"),
        Index("ix_orders_status_payment", "status", "payment_status"),
    )

    @property
    def is_company(self) -> bool:
        return self.buyer_kind == "company"

    @property
    def by_invoice(self) -> bool:
        """To be paid by bank transfer against the invoice."""
        return self.payment_method == "bank_transfer"

    @property
    def awaiting_payment(self) -> bool:
        """Placed, not paid, not canceled: the buyer may still pay it."""
        return self.status == OrderStatus.NEW and self.payment_status == PaymentStatus.UNPAID

    @property
    def discount_amount(self) -> Decimal:
        return self.tier_discount_amount + self.promo_discount_amount


class OrderLine(Base):
    """A product as sold: price frozen in roubles, supplier and commission at the time."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column()
    line_amount: Mapped[Decimal] = mapped_column()
    vat_rate_bp: Mapped[int] = mapped_column(SmallInteger, default=2200)
    commission_bp: Mapped[int] = mapped_column(SmallInteger)
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")

    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)


class OrderStatusChange(Base):
    """One step of the order's history: a fulfilment or a payment status change."""

    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[HistoryKind] = mapped_column(String(12), default=HistoryKind.FULFILMENT)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    #: A reason code from ``storefront.order.web.REASONS`` or a staff member's own words (a cancel reason).
    note: Mapped[str] = mapped_column(String(500), default="")
    #: The payment or refund id at YooKassa, for staff.
    reference: Mapped[str] = mapped_column(String(64), default="")
    #: The refunded amount of a refund step.
    amount: Mapped[Decimal | None] = mapped_column()
    #: The CRM staff member who made the change (no FK: staff are the CRM's); None for the buyer or the system.
    staff_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="history")

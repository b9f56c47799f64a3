"""Shipments of an order (which lines, how many, which carrier, the tracking number), tracking events, carriers as
data, and consolidated cargo batches with their legs and events.

Invariants: a shipment line's quantity is positive (CHECK) and, per order line, the shipped quantities never
exceed the ordered one (``services.ship_order`` locks the order row first); one tracking event per shipment, kind and
time (UNIQUE: a CSV imported twice or a batch event repeated adds nothing).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db import Base, utcnow
from storefront.order.models import Order, OrderLine


class EventKind(enum.StrEnum):
    """Where a parcel is, in the order it usually goes (the labels are in ``fulfilment/web.py``)."""

    RECEIVED_HARBIN = "received_harbin"
    DEPARTED = "departed"
    CUSTOMS = "customs"
    ARRIVED_RUSSIA = "arrived_russia"
    LAST_MILE = "last_mile"
    DELIVERED = "delivered"


class LegMode(enum.StrEnum):
    RAIL = "rail"
    TRUCK = "truck"
    AIR = "air"
    SEA = "sea"


class LegStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_TRANSIT = "in_transit"
    ARRIVED = "arrived"


def _in_sql(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{value.value}'" for value in values)


#: The carrier of the consolidated cargo route (our Harbin warehouse): tracked on our own page.
CARGO_CARRIER = "cargo"

#: The carriers every shop starts with (the migration inserts the same rows); more are rows, not code.
#: ``link_template`` takes ``{number}``; a template starting with «/» is a page of our own site.
DEFAULT_CARRIERS: tuple[dict[str, object], ...] = (
    {
        "code": "cdek",
        "name": "СДЭК",
        "link_template": "https://www.cdek.ru/ru/tracking?order_id={number}",
        "number_pattern": r"\d{8,14}",
        "position": 1,
    },
    {
        "code": "pochta",
        "name": "Почта России",
        "link_template": "https://www.pochta.ru/tracking?barcode={number}",
        "number_pattern": r"\d{14}|[A-Z]{2}\d{9}[A-Z]{2}",
        "position": 2,
    },
    {
        "code": CARGO_CARRIER,
        "name": "Сборный груз через склад в Харбине",
        "link_template": "/tracking/{number}",
        "number_pattern": r"[A-Z0-9][A-Z0-9-]{3,39}",
        "position": 3,
    },
)


class Carrier(Base):
    """Who carries a shipment. The number pattern (a full-match regex) and the link are data: a new carrier is a
    row."""

    __tablename__ = "carriers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    link_template: Mapped[str | None] = mapped_column(String(300))
    number_pattern: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class CargoBatch(Base):
    """Consolidated cargo: shipments of many orders travelling together from Harbin (CB-2026-0042)."""

    __tablename__ = "cargo_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Set right after the row gets its id (like the order number).
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    legs: Mapped[list[CargoLeg]] = relationship(
        back_populates="batch", order_by="CargoLeg.position", cascade="all, delete-orphan"
    )
    shipments: Mapped[list[Shipment]] = relationship(back_populates="batch", order_by="Shipment.id")
    events: Mapped[list[BatchEvent]] = relationship(
        back_populates="batch", order_by="BatchEvent.occurred_at", cascade="all, delete-orphan"
    )


class CargoLeg(Base):
    """One leg of a batch's route: Харбин → Забайкальск by rail, Забайкальск → Москва by truck."""

    __tablename__ = "cargo_legs"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("cargo_batches.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    origin: Mapped[str] = mapped_column(String(100))
    destination: Mapped[str] = mapped_column(String(100))
    mode: Mapped[LegMode] = mapped_column(String(12))
    status: Mapped[LegStatus] = mapped_column(String(12), default=LegStatus.PLANNED)

    batch: Mapped[CargoBatch] = relationship(back_populates="legs")

    __table_args__ = (
        CheckConstraint(f"mode IN ({_in_sql(LegMode)})", name="mode_known"),
        CheckConstraint(f"status IN ({_in_sql(LegStatus)})", name="status_known"),
    )


class BatchEvent(Base):
    """An event of a whole batch; it is copied to every shipment in the batch (``add_batch_event``)."""

    __tablename__ = "cargo_batch_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("cargo_batches.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(String(24))
    occurred_at: Mapped[datetime] = mapped_column()
    place: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    staff_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    batch: Mapped[CargoBatch] = relationship(back_populates="events")

    __table_args__ = (
        UniqueConstraint("batch_id", "kind", "occurred_at", name="uq_cargo_batch_events_identity"),
        CheckConstraint(f"kind IN ({_in_sql(EventKind)})", name="kind_known"),
    )


class Shipment(Base):
    """A parcel of an order: some of its lines, carrier, tracking number, the day it left."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id", ondelete="RESTRICT"))
    tracking_number: Mapped[str] = mapped_column(String(64), index=True)
    shipped_at: Mapped[datetime] = mapped_column()
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("cargo_batches.id", ondelete="SET NULL"), index=True)
    #: Set by the first «delivered» event.
    delivered_at: Mapped[datetime | None] = mapped_column()
    #: The CRM staff member who sent it (no FK: staff are the CRM's).
    staff_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()
    carrier: Mapped[Carrier] = relationship(lazy="joined")
    batch: Mapped[CargoBatch | None] = relationship(back_populates="shipments")
    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", order_by="ShipmentLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[TrackingEvent]] = relationship(
        back_populates="shipment",
        order_by="(TrackingEvent.occurred_at, TrackingEvent.id)",
        cascade="all, delete-orphan",
    )


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("shipment_id", "order_line_id", name="uq_shipment_lines_line"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


class TrackingEvent(Base):
    """Where a shipment was at a moment: typed by staff, imported from the consolidator's CSV or copied from its
    batch. Identified by shipment, kind and time."""

    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(String(24))
    occurred_at: Mapped[datetime] = mapped_column()
    place: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    #: staff, csv or batch.
    source: Mapped[str] = mapped_column(String(12), default="staff")
    staff_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    shipment: Mapped[Shipment] = relationship(back_populates="events")

    __table_args__ = (
        UniqueConstraint("shipment_id", "kind", "occurred_at", name="uq_tracking_events_identity"),
        CheckConstraint(f"kind IN ({_in_sql(EventKind)})", name="kind_known"),
    )

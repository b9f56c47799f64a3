"""Shipping an order in parts, tracking events, consolidated cargo batches.

No Flask here. Use cases flush; the caller commits once, then calls ``announce_status_change`` for every order
they moved (``Moved``). Over-shipping is impossible under concurrency: ``ship_order`` first writes the order row
(a conditional UPDATE that also checks the order may ship), which holds a row lock on PostgreSQL and the write
lock on SQLite until the commit, and only then counts what is already shipped. An order moves to «shipped» with
its first shipment and to «delivered» once everything ordered has shipped and every shipment is delivered, both
through ``order.services.change_status``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from storefront.db import rowcount, utcnow
from storefront.errors import NotFound, ShopError
from storefront.fulfilment.models import (
    DEFAULT_CARRIERS,
    BatchEvent,
    CargoBatch,
    CargoLeg,
    Carrier,
    EventKind,
    LegMode,
    LegStatus,
    Shipment,
    ShipmentLine,
    TrackingEvent,
)
from storefront.fulfilment.tracking import normalise_number, number_fits
from storefront.order.models import MONEY_IN, Order, OrderStatus
from storefront.order.services import change_status

#: The goods' statuses in which an order may ship (another part of an already shipped order too).
SHIPPABLE = frozenset({OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.SHIPPED})


class ShipFailure(enum.StrEnum):
    NOT_SHIPPABLE = "not_shippable"
    NO_LINES = "no_lines"
    UNKNOWN_LINE = "unknown_line"
    TOO_MANY = "too_many"
    UNKNOWN_CARRIER = "unknown_carrier"
    BAD_NUMBER = "bad_number"
    BAD_BATCH = "bad_batch"


class ShipmentError(ShopError):
    """A shipment, event or batch change refused; ``values`` say what for the message (line, left, status)."""

    def __init__(self, code: ShipFailure, **values: Any) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


#: An order a use case moved, with the status it had: the caller announces it after the commit.
Moved = tuple[Order, str]


@dataclass
class Shipped:
    shipment: Shipment
    #: The order's goods status before (``shipped`` for a further part of an already shipped order).
    previous: str
    moved: list[Moved] = field(default_factory=list)


# --- carriers -------------------------------------------------------------------------------------------------


def seed_carriers(session: Session) -> None:
    """Insert the default carriers that are missing (the migration does the same). Flushes."""
    known = set(session.scalars(select(Carrier.code)))
    for row in DEFAULT_CARRIERS:
        if row["code"] not in known:
            session.add(Carrier(**row))
    session.flush()


def list_carriers(session: Session) -> list[Carrier]:
    return list(session.scalars(select(Carrier).where(Carrier.is_active).order_by(Carrier.position, Carrier.id)))


# --- shipments ------------------------------------------------------------------------------------------------


def shipped_quantities(session: Session, order_id: int) -> dict[int, int]:
    """Order line id → units already shipped (one GROUP BY)."""
    rows = session.execute(
        select(ShipmentLine.order_line_id, func.sum(ShipmentLine.quantity))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id == order_id)
        .group_by(ShipmentLine.order_line_id)
    )
    return {line_id: int(total or 0) for line_id, total in rows}


def left_to_ship(session: Session, order: Order) -> dict[int, int]:
    """Order line id → units ordered and not shipped yet (every line, zeros included)."""
    shipped = shipped_quantities(session, order.id)
    return {line.id: line.quantity - shipped.get(line.id, 0) for line in order.lines}


def list_shipments(session: Session, order_id: int) -> list[Shipment]:
    return list(
        session.scalars(
            select(Shipment)
            .where(Shipment.order_id == order_id)
            .options(selectinload(Shipment.lines), selectinload(Shipment.events))
            .order_by(Shipment.shipped_at, Shipment.id)
        )
    )


def get_shipment(session: Session, shipment_id: int) -> Shipment:
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(str(shipment_id))
    return shipment


def _carrier(session: Session, carrier_id: int) -> Carrier:
    carrier = session.get(Carrier, carrier_id)
    if carrier is None or not carrier.is_active:
        raise ShipmentError(ShipFailure.UNKNOWN_CARRIER)
    return carrier


def _lock_shippable(session: Session, order: Order, now: datetime) -> None:
    """Write the order row if it may ship: the lock that serialises concurrent shipments of one order."""
    locked = rowcount(
        session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status.in_(SHIPPABLE), Order.payment_status.in_(MONEY_IN))
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(order)
    if locked != 1:
        raise ShipmentError(ShipFailure.NOT_SHIPPABLE, status=str(order.status))


def ship_order(
    session: Session,
    order: Order,
    quantities: Mapping[int, int],
    carrier_id: int,
    tracking_number: str,
    shipped_at: datetime,
    *,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> Shipped:
    """Send ``quantities`` (order line id → units; zeros ignored) of ``order`` as one shipment. Never more than
    ordered minus already shipped; the first shipment moves a confirmed or packed order to «shipped» (audited with
    ``staff_id`` in the order history). Flushes; the caller commits, then announces ``Shipped.moved``."""
    now = now or utcnow()
    carrier = _carrier(session, carrier_id)
    number = normalise_number(tracking_number)
    if not number_fits(carrier, number):
        raise ShipmentError(ShipFailure.BAD_NUMBER, carrier=carrier.name, number=number)
    wanted = {line_id: units for line_id, units in quantities.items() if units}
    if not wanted:
        raise ShipmentError(ShipFailure.NO_LINES)
    if any(units < 0 for units in wanted.values()):
        raise ShipmentError(ShipFailure.NO_LINES)
    _lock_shippable(session, order, now)
    lines = {line.id: line for line in order.lines}
    left = left_to_ship(session, order)  # counted after the lock: another shipment has committed or waits
    for line_id, units in sorted(wanted.items()):
        if line_id not in lines:
            raise ShipmentError(ShipFailure.UNKNOWN_LINE, line=line_id)
        if units > left[line_id]:
            raise ShipmentError(ShipFailure.TOO_MANY, line=lines[line_id].title, left=left[line_id])
    previous = str(order.status)
    shipment = Shipment(
        order_id=order.id,
        carrier_id=carrier.id,
        tracking_number=number,
        shipped_at=shipped_at,
        staff_id=staff_id,
        created_at=now,
        lines=[ShipmentLine(order_line_id=line_id, quantity=units) for line_id, units in sorted(wanted.items())],
    )
    session.add(shipment)
    session.flush()
    result = Shipped(shipment, previous)
    if previous != OrderStatus.SHIPPED:
        change_status(session, order, OrderStatus.SHIPPED, note=number, now=now, staff_id=staff_id)
        result.moved.append((order, previous))
    return result


# --- tracking events ------------------------------------------------------------------------------------------


def _event_exists(shipment_id: int, kind: EventKind, occurred_at: datetime) -> Any:
    return exists().where(
        TrackingEvent.shipment_id == shipment_id,
        TrackingEvent.kind == kind,
        TrackingEvent.occurred_at == occurred_at,
    )


def add_event(
    session: Session,
    shipment: Shipment,
    kind: EventKind,
    occurred_at: datetime,
    place: str = "",
    note: str = "",
    *,
    source: str = "staff",
    staff_id: int | None = None,
    now: datetime | None = None,
) -> tuple[bool, list[Moved]]:
    """Add an event to one shipment unless the same (shipment, kind, time) is there; a «delivered» event may
    deliver the order. Returns (added, orders moved). Flushes."""
    now = now or utcnow()
    if session.scalar(select(_event_exists(shipment.id, kind, occurred_at))):
        return False, []
    session.add(
        TrackingEvent(
            shipment_id=shipment.id,
            kind=kind,
            occurred_at=occurred_at,
            place=place.strip(),
            note=note.strip(),
            source=source,
            staff_id=staff_id,
            created_at=now,
        )
    )
    moved: list[Moved] = []
    if kind == EventKind.DELIVERED:
        _mark_delivered(session, [shipment.id], occurred_at)
        moved = deliver_complete_orders(session, [shipment.order_id], staff_id=staff_id, now=now)
    session.flush()
    session.expire(shipment, ["events", "delivered_at"])
    return True, moved


def _mark_delivered(session: Session, shipment_ids: Sequence[int], when: datetime) -> None:
    session.execute(
        update(Shipment)
        .where(Shipment.id.in_(shipment_ids), Shipment.delivered_at.is_(None))
        .values(delivered_at=when)
        .execution_options(synchronize_session=False)
    )


def deliver_complete_orders(
    session: Session, order_ids: Iterable[int], *, staff_id: int | None = None, now: datetime | None = None
) -> list[Moved]:
    """Move to «delivered» each shipped order whose every ordered unit has shipped and every shipment is
    delivered. Flushes."""
    now = now or utcnow()
    session.flush()
    moved: list[Moved] = []
    for order_id in sorted(set(order_ids)):
        order = session.get(Order, order_id)
        if order is None:
            continue
        session.refresh(order)
        if order.status != OrderStatus.SHIPPED:
            continue
        undelivered = session.scalar(
            select(func.count(Shipment.id)).where(Shipment.order_id == order_id, Shipment.delivered_at.is_(None))
        )
        if undelivered or any(left for left in left_to_ship(session, order).values()):
            continue
        change_status(session, order, OrderStatus.DELIVERED, now=now, staff_id=staff_id)
        moved.append((order, OrderStatus.SHIPPED))
    return moved


# --- cargo batches ----------------------------------------------------------------------------------------------


def format_batch_number(batch_id: int, year: int) -> str:
    """CB-2026-0042."""
    return f"CB-{year}-{batch_id:04d}"


def create_batch(session: Session, note: str = "", now: datetime | None = None) -> CargoBatch:
    now = now or utcnow()
    batch = CargoBatch(note=note.strip(), created_at=now)
    session.add(batch)
    session.flush()
    batch.number = format_batch_number(batch.id, now.year)
    session.flush()
    return batch


def get_batch(session: Session, number: str) -> CargoBatch:
    batch = session.scalar(select(CargoBatch).where(CargoBatch.number == number))
    if batch is None:
        raise NotFound(number)
    return batch


def list_batches(session: Session) -> list[tuple[CargoBatch, int]]:
    """Batches, newest first, with how many shipments each holds (one statement)."""
    count = (
        select(func.count(Shipment.id))
        .where(Shipment.batch_id == CargoBatch.id)
        .correlate(CargoBatch)
        .scalar_subquery()
    )
    return [(batch, int(n)) for batch, n in session.execute(select(CargoBatch, count).order_by(CargoBatch.id.desc()))]


def add_leg(session: Session, batch: CargoBatch, origin: str, destination: str, mode: LegMode) -> CargoLeg:
    position = (session.scalar(select(func.max(CargoLeg.position)).where(CargoLeg.batch_id == batch.id)) or 0) + 1
    leg = CargoLeg(
        batch_id=batch.id, position=position, origin=origin.strip(), destination=destination.strip(), mode=mode
    )
    session.add(leg)
    session.flush()
    session.expire(batch, ["legs"])
    return leg


def set_leg_status(session: Session, batch: CargoBatch, leg_id: int, status: LegStatus) -> CargoLeg:
    leg = session.get(CargoLeg, leg_id)
    if leg is None or leg.batch_id != batch.id:
        raise NotFound(str(leg_id))
    leg.status = status
    session.flush()
    return leg


def find_shipments(session: Session, words: str) -> list[Shipment]:
    """Shipments named by tracking numbers or order numbers (several, separated by spaces, commas or lines)."""
    names = [normalise_number(word) for word in words.replace(",", " ").split()]
    if not names:
        return []
    return list(
        session.scalars(
            select(Shipment)
            .join(Order, Order.id == Shipment.order_id)
            .where(Shipment.tracking_number.in_(names) | Order.number.in_(names))
            .order_by(Shipment.id)
        )
    )


def add_to_batch(session: Session, batch: CargoBatch, shipments: Sequence[Shipment]) -> int:
    """Put shipments in the batch (a shipment in another batch moves). Returns how many joined. Flushes."""
    if not shipments:
        raise ShipmentError(ShipFailure.BAD_BATCH)
    joined = rowcount(
        session.execute(
            update(Shipment)
            .where(
                Shipment.id.in_([s.id for s in shipments]),
                (Shipment.batch_id != batch.id) | Shipment.batch_id.is_(None),
            )
            .values(batch_id=batch.id)
            .execution_options(synchronize_session=False)
        )
    )
    session.flush()
    session.expire(batch, ["shipments"])
    for shipment in shipments:
        session.expire(shipment, ["batch_id", "batch"])
    return joined


def remove_from_batch(session: Session, batch: CargoBatch, shipment_id: int) -> bool:
    removed = rowcount(
        session.execute(
            update(Shipment)
            .where(Shipment.id == shipment_id, Shipment.batch_id == batch.id)
            .values(batch_id=None)
            .execution_options(synchronize_session=False)
        )
    )
    session.flush()
    session.expire(batch, ["shipments"])
    return removed == 1


def add_batch_event(
    session: Session,
    batch: CargoBatch,
    kind: EventKind,
    occurred_at: datetime,
    place: str = "",
    note: str = "",
    *,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> tuple[int, list[Moved]]:
    """Record the event on the batch and copy it to every shipment in it with one INSERT … SELECT that skips the
    shipments already holding it: repeating it adds nothing. Returns (events added to shipments, orders moved).
    Flushes."""
    now = now or utcnow()
    place, note = place.strip(), note.strip()
    known = session.scalar(
        select(BatchEvent.id).where(
            BatchEvent.batch_id == batch.id, BatchEvent.kind == kind, BatchEvent.occurred_at == occurred_at
        )
    )
    if known is None:
        session.add(
            BatchEvent(
                batch_id=batch.id,
                kind=kind,
                occurred_at=occurred_at,
                place=place,
                note=note,
                staff_id=staff_id,
                created_at=now,
            )
        )
        session.flush()
    occurred = literal(occurred_at, TrackingEvent.occurred_at.type)
    rows = select(
        Shipment.id,
        literal(str(kind), TrackingEvent.kind.type),
        occurred,
        literal(place, TrackingEvent.place.type),
        literal(note, TrackingEvent.note.type),
        literal("batch", TrackingEvent.source.type),
        literal(staff_id, TrackingEvent.staff_id.type),
        literal(now, TrackingEvent.created_at.type),
    ).where(
        Shipment.batch_id == batch.id,
        ~exists().where(
            and_(
                TrackingEvent.shipment_id == Shipment.id,
                TrackingEvent.kind == str(kind),
                TrackingEvent.occurred_at == occurred,
            )
        ),
    )
    columns = ["shipment_id", "kind", "occurred_at", "place", "note", "source", "staff_id", "created_at"]
    dialect = session.get_bind().dialect.name
    table = TrackingEvent.__table__
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    # ON CONFLICT DO NOTHING: a concurrent repeat of the same event is a no-op too. RETURNING counts the rows on
    # both engines (psycopg reports no rowcount for INSERT … SELECT through the ORM).
    statement = insert.from_select(columns, rows).on_conflict_do_nothing().returning(table.c.id)
    added = len(session.execute(statement).all())
    moved: list[Moved] = []
    if kind == EventKind.DELIVERED:
        ids = list(session.scalars(select(Shipment.id).where(Shipment.batch_id == batch.id)))
        _mark_delivered(session, ids, occurred_at)
        orders = session.scalars(select(Shipment.order_id).where(Shipment.batch_id == batch.id).distinct())
        moved = deliver_complete_orders(session, list(orders), staff_id=staff_id, now=now)
    session.flush()
    session.expire_all()
    return added, moved

"""Consolidated cargo: a batch event reaches every shipment (and so every order) in the batch, once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.fulfilment.models import BatchEvent, EventKind, LegMode, LegStatus, TrackingEvent
from storefront.fulfilment.services import (
    add_batch_event,
    add_leg,
    add_to_batch,
    create_batch,
    find_shipments,
    list_batches,
    remove_from_batch,
    set_leg_status,
    ship_order,
)
from storefront.order.models import OrderStatus
from tests.storefront.fulfilment.shipping_world import NOW, carrier, confirmed_order


def _shipped(session: Session, count: int):
    cargo = carrier(session, "cargo")
    shipments = []
    for n in range(count):
        order = confirmed_order(session, (1,), email=f"buyer{n}@example.ru")
        lines = {line.id: line.quantity for line in order.lines}
        shipments.append(ship_order(session, order, lines, cargo.id, f"HRB-{n:04d}", NOW).shipment)
    session.commit()
    return shipments


def test_a_batch_has_a_number_legs_and_shipments_in_and_out(session: Session) -> None:
    shipments = _shipped(session, 3)
    batch = create_batch(session, "Поезд 17", now=NOW)
    assert batch.number == f"CB-2026-{batch.id:04d}"
    add_leg(session, batch, "Харбин", "Забайкальск", LegMode.RAIL)
    leg = add_leg(session, batch, "Забайкальск", "Москва", LegMode.TRUCK)
    set_leg_status(session, batch, leg.id, LegStatus.IN_TRANSIT)
    assert [(leg.position, leg.origin, leg.status) for leg in batch.legs] == [
        (1, "Харбин", LegStatus.PLANNED),
        (2, "Забайкальск", LegStatus.IN_TRANSIT),
    ]
    found = find_shipments(session, f"HRB-0000, {shipments[1].order.number}\nhrb-0002 nothing")
    assert add_to_batch(session, batch, found) == 3
    assert add_to_batch(session, batch, found) == 0
    assert remove_from_batch(session, batch, shipments[2].id)
    assert not remove_from_batch(session, batch, shipments[2].id)
    session.commit()
    assert [(row.number, count) for row, count in list_batches(session)] == [(batch.number, 2)]


def test_a_batch_event_reaches_every_order_once_and_delivery_moves_them(session: Session) -> None:
    shipments = _shipped(session, 4)
    batch = create_batch(session, now=NOW)
    add_to_batch(session, batch, shipments[:3])
    session.commit()
    when = NOW + timedelta(days=2)
    added, moved = add_batch_event(session, batch, EventKind.DEPARTED, when, "Харбин", staff_id=2)
    session.commit()
    assert (added, moved) == (3, [])
    assert add_batch_event(session, batch, EventKind.DEPARTED, when, "Харбин")[0] == 0  # repeated: nothing
    session.commit()
    rows = session.scalars(select(TrackingEvent)).all()
    assert sorted(row.shipment_id for row in rows) == sorted(s.id for s in shipments[:3])
    assert {(row.kind, row.occurred_at, row.place, row.source) for row in rows} == {
        (EventKind.DEPARTED, when, "Харбин", "batch")
    }
    assert session.scalar(select(func.count(BatchEvent.id))) == 1

    # A shipment that joins later gets the later events, and the delivery moves every order in the batch.
    add_to_batch(session, batch, shipments[3:])
    added, moved = add_batch_event(session, batch, EventKind.DELIVERED, NOW + timedelta(days=9))
    session.commit()
    assert added == 4
    assert sorted(order.id for order, previous in moved) == sorted(s.order_id for s in shipments)
    for order, previous in moved:
        assert (order.status, previous) == (OrderStatus.DELIVERED, OrderStatus.SHIPPED)

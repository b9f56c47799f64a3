"""Shipping an order in parts: never more than ordered, the order moves to «shipped» with its first parcel and
to «delivered» when everything ordered is delivered; carrier formats and links."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storefront.fulfilment.models import Carrier, EventKind, ShipmentLine
from storefront.fulfilment.services import (
    ShipFailure,
    ShipmentError,
    add_event,
    left_to_ship,
    ship_order,
    shipped_quantities,
)
from storefront.fulfilment.tracking import normalise_number, number_fits, tracking_url
from storefront.order.models import HistoryKind, Order, OrderStatus, PaymentStatus
from tests.storefront.fulfilment.shipping_world import NOW, carrier, confirmed_order


def _ids(order: Order) -> list[int]:
    return [line.id for line in order.lines]


def test_the_first_parcel_ships_the_order_with_the_staff_member_in_its_history(session: Session) -> None:
    order = confirmed_order(session)
    cdek = carrier(session, "cdek")
    first, second = _ids(order)
    shipped = ship_order(session, order, {first: 2, second: 1}, cdek.id, "1234 567 890", NOW, staff_id=7)
    assert shipped.previous == OrderStatus.CONFIRMED and shipped.moved == [(order, OrderStatus.CONFIRMED)]
    assert order.status == OrderStatus.SHIPPED and order.shipped_at is not None
    step = order.history[-1]
    assert (step.kind, step.from_status, step.to_status, step.staff_id) == (
        HistoryKind.FULFILMENT,
        "confirmed",
        "shipped",
        7,
    )
    assert shipped.shipment.tracking_number == "1234567890"
    assert left_to_ship(session, order) == {first: 0, second: 2}

    again = ship_order(session, order, {second: 2}, cdek.id, "1234567891", NOW, staff_id=7)
    assert again.previous == OrderStatus.SHIPPED and again.moved == []
    assert [step.to_status for step in order.history if step.kind == HistoryKind.FULFILMENT] == ["shipped"]


def test_more_than_is_left_is_refused_and_nothing_is_written(session: Session) -> None:
    order = confirmed_order(session, (2,))
    pochta = carrier(session, "pochta")
    (line,) = _ids(order)
    ship_order(session, order, {line: 1}, pochta.id, "RA123456789CN", NOW)
    with pytest.raises(ShipmentError) as refused:
        ship_order(session, order, {line: 2}, pochta.id, "RA123456788CN", NOW)
    assert refused.value.code == ShipFailure.TOO_MANY and refused.value.values["left"] == 1
    assert shipped_quantities(session, order.id) == {line: 1}


@pytest.mark.parametrize(
    ("status", "money"),
    [
        (OrderStatus.NEW, PaymentStatus.PAID),
        (OrderStatus.CANCELED, PaymentStatus.REFUNDED),
        (OrderStatus.CONFIRMED, PaymentStatus.REFUNDED),
        (OrderStatus.DELIVERED, PaymentStatus.PAID),
    ],
)
def test_only_a_paid_confirmed_or_packed_or_shipped_order_ships(session: Session, status, money) -> None:
    order = confirmed_order(session, (1,), status=status)
    order.payment_status = money
    session.flush()
    with pytest.raises(ShipmentError) as refused:
        ship_order(session, order, {_ids(order)[0]: 1}, carrier(session, "cdek").id, "1234567890", NOW)
    assert refused.value.code == ShipFailure.NOT_SHIPPABLE
    assert session.scalar(select(func.count(ShipmentLine.id))) == 0


def test_a_packed_order_ships_too_and_a_line_of_another_order_is_refused(session: Session) -> None:
    order = confirmed_order(session, (1,), status=OrderStatus.PACKED)
    other = confirmed_order(session, (1,))
    cdek = carrier(session, "cdek")
    with pytest.raises(ShipmentError) as refused:
        ship_order(session, order, {_ids(other)[0]: 1}, cdek.id, "1234567890", NOW)
    assert refused.value.code == ShipFailure.UNKNOWN_LINE
    ship_order(session, order, {_ids(order)[0]: 1}, cdek.id, "1234567890", NOW)
    assert order.status == OrderStatus.SHIPPED


@pytest.mark.parametrize(
    ("code", "number", "fits"),
    [
        ("pochta", "12345678901234", True),
        ("pochta", "RA123456789CN", True),
        ("pochta", "ra 123456789 cn", True),
        ("pochta", "1234567890123", False),
        ("pochta", "R123456789CN", False),
        ("cdek", "1234567890", True),
        ("cdek", "CDEK-1", False),
        ("cargo", "HRB-2026-0001", True),
        ("cargo", "ХРБ-1", False),
    ],
)
def test_tracking_numbers_are_checked_against_the_carriers_format(session: Session, code, number, fits) -> None:
    assert number_fits(carrier(session, code), normalise_number(number)) is fits


def test_carrier_links(session: Session) -> None:
    assert tracking_url(carrier(session, "cdek"), "1234567890") == "https://www.cdek.ru/ru/tracking?order_id=1234567890"
    assert tracking_url(carrier(session, "pochta"), "RA123456789CN") == (
        "https://www.pochta.ru/tracking?barcode=RA123456789CN"
    )
    cargo = carrier(session, "cargo")
    assert tracking_url(cargo, "HRB-1") == "/tracking/HRB-1"
    assert tracking_url(cargo, "HRB-1", "https://mostik.example/") == "https://mostik.example/tracking/HRB-1"
    other = Carrier(code="boxberry", name="Boxberry", link_template=None, number_pattern=None)
    assert tracking_url(other, "ABC123") is None and number_fits(other, "ABC123")


def test_a_bad_tracking_number_is_refused(session: Session) -> None:
    order = confirmed_order(session, (1,))
    with pytest.raises(ShipmentError) as refused:
        ship_order(session, order, {_ids(order)[0]: 1}, carrier(session, "pochta").id, "12345", NOW)
    assert refused.value.code == ShipFailure.BAD_NUMBER
    assert order.status == OrderStatus.CONFIRMED


def test_the_order_is_delivered_when_every_unit_shipped_and_every_parcel_arrived(session: Session) -> None:
    order = confirmed_order(session, (2, 1))
    cdek = carrier(session, "cdek")
    first, second = _ids(order)
    one = ship_order(session, order, {first: 2}, cdek.id, "1111111111", NOW).shipment
    added, moved = add_event(session, one, EventKind.DELIVERED, NOW + timedelta(days=9), "Москва")
    assert added and moved == [] and order.status == OrderStatus.SHIPPED  # the second line is not sent yet
    two = ship_order(session, order, {second: 1}, cdek.id, "2222222222", NOW + timedelta(days=1)).shipment
    add_event(session, two, EventKind.LAST_MILE, NOW + timedelta(days=10))
    assert order.status == OrderStatus.SHIPPED
    added, moved = add_event(session, two, EventKind.DELIVERED, NOW + timedelta(days=12), staff_id=3)
    assert moved == [(order, OrderStatus.SHIPPED)]
    assert order.status == OrderStatus.DELIVERED and order.history[-1].staff_id == 3
    again, moved = add_event(session, two, EventKind.DELIVERED, NOW + timedelta(days=12))
    assert (again, moved) == (False, [])


ATTEMPTS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=3), st.integers(min_value=-1, max_value=6)), min_size=1, max_size=8
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ordered=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4), attempts=st.lists(ATTEMPTS))
def test_partial_shipments_never_exceed_what_was_ordered(session: Session, ordered, attempts) -> None:
    order = confirmed_order(session, ordered)
    cdek = carrier(session, "cdek")
    session.commit()
    ids = _ids(order)
    expected = {line_id: 0 for line_id in ids}
    for n, attempt in enumerate(attempts):
        wanted = {ids[index % len(ids)]: units for index, units in attempt}
        left = {line_id: quantity - expected[line_id] for line_id, quantity in zip(ids, ordered, strict=True)}
        fits = (
            any(wanted.values())
            and all(units >= 0 for units in wanted.values())
            and all(units <= left[line_id] for line_id, units in wanted.items())
        )
        try:
            ship_order(session, order, wanted, cdek.id, f"{1000000000 + n}", NOW)
        except ShipmentError:
            session.rollback()
            assert not fits
        else:
            assert fits
            session.commit()
            for line_id, units in wanted.items():
                expected[line_id] += units
        shipped = shipped_quantities(session, order.id)
        assert {line_id: shipped.get(line_id, 0) for line_id in ids} == expected
        assert all(expected[line_id] <= quantity for line_id, quantity in zip(ids, ordered, strict=True))
    session.execute(delete(Order))  # the next example starts with no orders (shipments go by cascade)
    session.commit()


@pytest.mark.postgres_only
def test_two_operators_shipping_the_last_units_at_once_one_succeeds(session: Session) -> None:
    order = confirmed_order(session, (3,))
    cdek = carrier(session, "cdek")
    session.commit()
    line_id, order_id, carrier_id = order.lines[0].id, order.id, cdek.id
    engine = session.get_bind()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def ship(n: int) -> None:
        with Session(engine) as own:
            mine = own.get(Order, order_id)
            assert mine is not None
            list(mine.lines)
            barrier.wait()
            try:
                ship_order(own, mine, {line_id: 2}, carrier_id, f"{2000000000 + n}", NOW, staff_id=n)
                own.commit()
                result = "ok"
            except ShipmentError as refused:
                own.rollback()
                result = str(refused.code)
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=ship, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["too_many"] * 3
    session.expire_all()
    assert shipped_quantities(session, order_id) == {line_id: 2}
    shipped = session.get(Order, order_id)
    assert shipped is not None and shipped.status == OrderStatus.SHIPPED
    assert [step.to_status for step in shipped.history].count("shipped") == 1

"""The consolidator's CSV: every bad row reported by its line and nothing applied; windows-1251; importing the
same file twice adds nothing; a batch number reaches every shipment in the batch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.fulfilment.csv_import import ImportRejected, Problem, import_tracking_csv, parse
from storefront.fulfilment.models import EventKind, Shipment, TrackingEvent
from storefront.fulfilment.services import add_to_batch, create_batch, ship_order
from storefront.order.models import OrderStatus
from tests.storefront.fulfilment.shipping_world import NOW, carrier, confirmed_order

GOOD = (
    "трек-номер;событие;время;место;комментарий\n"
    "RA123456789CN;Принят на складе в Харбине;01.12.2026 10:00;Харбин;\n"
    "ra 123456789 cn;Отправлен в путь;02.12.2026 08:30;Харбин;поезд 17\n"
    "RA123456789CN;arrived_russia;2026-12-04 14:00;Забайкальск;\n"
)


def _shipment(session: Session, number: str = "RA123456789CN", quantities=(1,)) -> Shipment:
    order = confirmed_order(session, quantities)
    lines = {line.id: line.quantity for line in order.lines}
    shipment = ship_order(session, order, lines, carrier(session, "pochta").id, number, NOW).shipment
    session.commit()
    return shipment


def _events(session: Session) -> int:
    return session.scalar(select(func.count(TrackingEvent.id))) or 0


def test_a_good_file_adds_its_events_in_moscow_time_and_a_second_import_adds_nothing(session: Session) -> None:
    shipment = _shipment(session)
    result = import_tracking_csv(session, GOOD.encode(), staff_id=5)
    session.commit()
    assert (result.rows, result.added, result.repeated) == (3, 3, 0)
    events = session.scalars(select(TrackingEvent).order_by(TrackingEvent.occurred_at)).all()
    assert [event.kind for event in events] == [
        EventKind.RECEIVED_HARBIN,
        EventKind.DEPARTED,
        EventKind.ARRIVED_RUSSIA,
    ]
    assert events[0].occurred_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 10:00 in Moscow
    assert (events[1].place, events[1].note, events[1].source) == ("Харбин", "поезд 17", "csv")
    again = import_tracking_csv(session, GOOD.encode())
    session.commit()
    assert (again.added, again.repeated) == (0, 3)
    assert _events(session) == 3 and shipment.id == events[0].shipment_id


def test_windows_1251_with_commas_and_a_bom_free_header(session: Session) -> None:
    _shipment(session)
    text = "Трек-номер,Событие,Время,Место\nRA123456789CN,На таможне,03.12.2026 12:00,Забайкальск\n"
    result = import_tracking_csv(session, text.encode("cp1251"))
    assert result.added == 1
    event = session.scalars(select(TrackingEvent)).one()
    assert (event.kind, event.place) == (EventKind.CUSTOMS, "Забайкальск")


def test_bad_rows_are_each_reported_by_line_and_nothing_is_applied(session: Session) -> None:
    _shipment(session)
    text = (
        "трек-номер;событие;время;место;комментарий\n"
        "RA123456789CN;Принят на складе в Харбине;01.12.2026 10:00;Харбин;\n"  # good
        "RA123456789CN;Улетел на Луну;01.12.2026 11:00;;\n"  # line 3: event
        "RA123456789CN;Отправлен в путь;32.12.2026 08:30;;\n"  # line 4: time
        "\n"
        "RA000000000CN;На таможне;03.12.2026 12:00;;\n"  # line 6: unknown number
        ";На таможне;03.12.2026 12:00;;\n"  # line 7: no number
    )
    with pytest.raises(ImportRejected) as rejected:
        import_tracking_csv(session, text.encode())
    found = [(problem.line, problem.problem) for problem in rejected.value.problems]
    assert found == [
        (3, Problem.BAD_EVENT),
        (4, Problem.BAD_TIME),
        (6, Problem.UNKNOWN_NUMBER),
        (7, Problem.NO_NUMBER),
    ]
    session.rollback()
    assert _events(session) == 0


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", Problem.EMPTY),
        ("номер;событие\nX;Y\n".encode(), Problem.NO_COLUMN),
        (b"\x98\x98\xff", Problem.ENCODING),
    ],
)
def test_a_file_that_is_not_a_tracking_csv_is_refused_at_line_one(data: bytes, problem: Problem) -> None:
    rows, problems = parse(data)
    assert rows == [] and [(p.line, p.problem) for p in problems] == [(1, problem)]


def test_a_batch_number_in_the_file_reaches_every_shipment_and_delivers_their_orders(session: Session) -> None:
    first, second = _shipment(session, "RA111111111CN"), _shipment(session, "RA222222222CN", (2, 1))
    batch = create_batch(session, now=NOW)
    add_to_batch(session, batch, [first, second])
    session.commit()
    text = f"трек-номер;событие;время\n{batch.number};Доставлен;10.12.2026 18:00\n"
    result = import_tracking_csv(session, text.encode())
    session.commit()
    assert result.added == 2
    assert sorted(order.status for order, _previous in result.moved) == [OrderStatus.DELIVERED] * 2
    again = import_tracking_csv(session, text.encode())
    assert (again.added, again.repeated, again.moved) == (0, 1, [])

"""The УПД: issued once when a company's order is handed over, numbered per Moscow year without gaps (even when
issuers race), its amounts the order's own, its PDF readable with the requisites, lines and totals."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.documents import current_seller
from storefront.documents.models import DocumentCounter, Upd
from storefront.documents.upd import issue_upd, upd_for_order
from storefront.order.models import Order, OrderStatus
from storefront.order.services import change_status
from storefront.order.totals import apportion, split_order
from storefront.outbox import OutboxMessage
from tests.storefront.documents.closing import company_order, deliver, pdf_text, plain

DEC_6 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
#: 31 December 2026, 21:30 UTC is already 1 January 2027 in Moscow (UTC+3).
NEW_YEAR_MOSCOW = datetime(2026, 12, 31, 21, 30, tzinfo=UTC)
LAST_EVENING = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Upd)) or 0


def test_apportion_sums_exactly_and_follows_the_weights() -> None:
    parts = apportion(Decimal("100.00"), [Decimal("1"), Decimal("1"), Decimal("1")])
    assert parts == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(apportion(Decimal("777.77"), [Decimal("35988.00"), Decimal("5513.00"), Decimal("3299.97")])) == Decimal(
        "777.77"
    )
    assert apportion(Decimal("5.00"), [Decimal(0), Decimal(0)]) == [Decimal("5.00"), Decimal("0.00")]


def test_delivering_a_company_order_issues_one_upd_with_the_orders_totals(session: Session) -> None:
    order = company_order(session)
    deliver(session, order, DEC_6)
    session.commit()

    upd = upd_for_order(session, order.id)
    assert upd is not None
    assert (upd.year, upd.number, upd.issued_on.isoformat()) == (2026, 1, "2026-12-06")
    assert upd.total_amount == order.total_amount and upd.vat_amount == order.vat_amount
    lines = upd.body["lines"]
    assert [line["okei"] for line in lines] == ["796", "796", "796", "876"]
    assert sum(Decimal(line["gross"]) for line in lines) == order.total_amount
    assert sum(Decimal(line["vat"]) for line in lines) == order.vat_amount
    assert sum(Decimal(line["net"]) for line in lines) == order.total_amount - order.vat_amount
    assert upd.body["totals"] == {
        "net": f"{order.total_amount - order.vat_amount:.2f}",
        "vat": f"{order.vat_amount:.2f}",
        "gross": f"{order.total_amount:.2f}",
    }
    assert upd.body["payments"][0]["number"] == "PP-1042"
    goods, shipping = split_order(
        [line.line_amount for line in order.lines], order.discount_amount, order.shipping_amount, order.vat_amount
    )
    assert shipping is not None and Decimal(lines[-1]["gross"]) == order.shipping_amount
    assert [Decimal(line["gross"]) for line in lines[:-1]] == [part.gross for part in goods]


def test_issuing_again_changes_nothing_and_a_person_gets_no_upd(session: Session) -> None:
    order = company_order(session)
    deliver(session, order, DEC_6)
    session.commit()
    again, issued = issue_upd(session, order, current_seller(), DEC_6)
    session.commit()
    assert not issued and again is not None and again.number == 1
    assert _count(session) == 1
    assert session.get(DocumentCounter, ("upd", 2026)).last_number == 1  # the number taken again was given back

    person = company_order(session, company=False, email="anna@example.ru")
    deliver(session, person, DEC_6)
    session.commit()
    assert upd_for_order(session, person.id) is None
    assert issue_upd(session, person, current_seller(), DEC_6) == (None, False)
    assert _count(session) == 1


def test_an_order_not_handed_over_gets_no_upd(session: Session) -> None:
    order = company_order(session)
    assert issue_upd(session, order, current_seller(), DEC_6) == (None, False)
    deliver_partly = [OrderStatus.CONFIRMED, OrderStatus.SHIPPED]
    from tests.storefront.documents.closing import pay

    pay(session, order, DEC_6)
    for step in deliver_partly:
        change_status(session, order, step, now=DEC_6)
    session.commit()
    assert upd_for_order(session, order.id) is None


def test_numbers_follow_one_sequence_per_moscow_year(session: Session) -> None:
    orders = [company_order(session) for _ in range(4)]
    deliver(session, orders[0], DEC_6)
    deliver(session, orders[1], LAST_EVENING)
    deliver(session, orders[2], NEW_YEAR_MOSCOW)  # 31 December in UTC, already 2027 in Moscow
    deliver(session, orders[3], datetime(2027, 1, 9, 8, 0, tzinfo=UTC))
    session.commit()
    numbers = [
        (upd.year, upd.number, upd.issued_on.isoformat()) for upd in map(lambda o: upd_for_order(session, o.id), orders)
    ]  # type: ignore[union-attr]
    assert numbers == [
        (2026, 1, "2026-12-06"),
        (2026, 2, "2026-12-31"),
        (2027, 1, "2027-01-01"),
        (2027, 2, "2027-01-09"),
    ]


def test_a_rolled_back_delivery_leaves_no_gap(session: Session) -> None:
    first, second = company_order(session), company_order(session)
    session.commit()
    deliver(session, first, DEC_6)
    session.rollback()
    deliver(session, second, DEC_6)
    session.commit()
    assert upd_for_order(session, second.id).number == 1  # type: ignore[union-attr]


def test_racing_issuers_get_distinct_gap_free_numbers_and_one_document_per_order(session: Session) -> None:
    orders = [company_order(session) for _ in range(4)]
    for order in orders:
        from tests.storefront.documents.closing import pay

        pay(session, order, DEC_6)
        for step in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED):
            change_status(session, order, step, now=DEC_6)
    session.commit()
    for order in orders:  # handed over without the signal: the race is between the issuers themselves
        session.execute(Order.__table__.update().where(Order.id == order.id).values(status=OrderStatus.DELIVERED))
    session.commit()
    ids = [order.id for order in orders]
    engine = session.get_bind()
    # Eight issuers: each order twice at the same moment.
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def issue(order_id: int) -> None:
        with Session(engine) as own:
            mine = own.get(Order, order_id)
            assert mine is not None
            list(mine.lines), list(mine.history)
            barrier.wait()
            try:
                issue_upd(own, mine, current_seller(), DEC_6)
                own.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                own.rollback()
                errors.append(error)

    threads = [threading.Thread(target=issue, args=(order_id,)) for order_id in ids + ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    session.expire_all()
    numbers = sorted(session.scalars(select(Upd.number)))
    assert numbers == [1, 2, 3, 4]
    assert sorted(session.scalars(select(Upd.order_id))) == sorted(ids)
    assert session.get(DocumentCounter, ("upd", 2026)).last_number == 4


def test_the_upd_pdf_holds_the_requisites_lines_and_totals(app: Flask, session: Session) -> None:
    from storefront.documents.printing import upd_pdf
    from storefront.i18n import format_rub

    order = company_order(session)
    deliver(session, order, DEC_6)
    session.commit()
    upd = upd_for_order(session, order.id)
    assert upd is not None
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        text = pdf_text(upd_pdf(upd))
    flat = " ".join(text.split())
    seller = current_seller()
    for needle in (
        "Универсальный передаточный документ",
        "Счёт-фактура № 1 от 6 декабря 2026",
        "Статус",
        f"{seller.inn}/{seller.kpp}",
        "7707083893/770701001",
        "ООО «Ромашка»",
        "Российский рубль, 643",
        "PP-1042",
        "Кабель USB-C 1 м",
        "Зарядное устройство 20 Вт",
        "796",
        "шт",
        "22 %",
        "Всего к оплате",
        plain(format_rub(order.total_amount)),
        plain(format_rub(order.vat_amount)),
        plain(format_rub(order.total_amount - order.vat_amount)),
        "Главный бухгалтер",
        "Товар (груз) передал",
    ):
        assert " ".join(needle.split()) in flat, needle
    for line in upd.body["lines"]:
        assert plain(format_rub(Decimal(line["gross"]))) in flat


def test_the_closing_documents_email_goes_to_the_buyer_once(app: Flask, session: Session) -> None:
    with app.app_context():
        order = company_order(session)
        deliver(session, order, DEC_6)
        session.commit()
        issue_upd(session, order, current_seller(), DEC_6)
        session.commit()
    mails = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "closing_documents")))
    assert len(mails) == 1
    assert mails[0].to_address == "buh@romashka.ru"
    assert mails[0].subject == f"Закрывающие документы по заказу {order.number}"
    assert "/upd.pdf?t=" in mails[0].text_body and f"/orders/{order.number}/upd?t=" in mails[0].text_body


@pytest.mark.parametrize("kind", ["company", "person"])
def test_the_buyers_order_page_links_the_upd_only_for_a_company(app: Flask, session: Session, kind: str) -> None:
    from tests.support.factories import create_buyer
    from tests.support.web import login

    buyer = create_buyer(session, company=kind == "company")
    order = company_order(session, buyer_id=buyer.id, company=kind == "company")
    deliver(session, order, DEC_6)
    session.commit()
    client = app.test_client()
    login(client)
    page = client.get(f"/orders/{order.number}")
    assert page.status_code == 200
    assert ("УПД № 1" in page.text) == (kind == "company")
    upd_page = client.get(f"/orders/{order.number}/upd")
    pdf = client.get(f"/orders/{order.number}/upd.pdf")
    if kind == "person":
        assert upd_page.status_code == 404 and pdf.status_code == 404
        return
    assert upd_page.status_code == 200 and "Счёт-фактура № 1" in upd_page.text
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "Универсальный передаточный документ" in pdf_text(pdf.data)
    other = app.test_client()  # someone else, signed out: the order's own access rule
    assert other.get(f"/orders/{order.number}/upd").status_code == 401
    assert other.get(f"/orders/{order.number}/upd.pdf").status_code == 401


def test_the_last_shipments_delivered_event_issues_the_upd_not_the_first(session: Session) -> None:
    """Shipped in two parts: the first part's delivery hands over nothing yet; the second's delivers the order."""
    from storefront.fulfilment.models import EventKind
    from storefront.fulfilment.services import add_event, ship_order
    from tests.storefront.documents.closing import pay
    from tests.storefront.fulfilment.shipping_world import carrier

    order = company_order(session)
    pay(session, order, DEC_6)
    change_status(session, order, OrderStatus.CONFIRMED, now=DEC_6)
    cdek = carrier(session, "cdek")
    first_line, *rest = order.lines
    first = ship_order(session, order, {first_line.id: first_line.quantity}, cdek.id, "1000000001", DEC_6).shipment
    second = ship_order(session, order, {line.id: line.quantity for line in rest}, cdek.id, "1000000002", DEC_6)
    session.commit()
    add_event(session, first, EventKind.DELIVERED, datetime(2026, 12, 9, 9, 0, tzinfo=UTC))
    session.commit()
    assert upd_for_order(session, order.id) is None
    _added, moved = add_event(session, second.shipment, EventKind.DELIVERED, datetime(2026, 12, 11, 9, 0, tzinfo=UTC))
    session.commit()
    assert [moved_order.id for moved_order, _previous in moved] == [order.id]
    upd = upd_for_order(session, order.id)
    assert upd is not None and upd.total_amount == order.total_amount


def test_issue_missing_backfills_orders_delivered_before_and_only_once(app: Flask, session: Session) -> None:
    from storefront.documents.models import Upd as UpdRow

    older, newer = company_order(session), company_order(session)
    deliver(session, older, DEC_6)
    deliver(session, newer, datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    session.commit()
    session.execute(UpdRow.__table__.delete())  # as if delivered before the УПД existed
    session.execute(DocumentCounter.__table__.delete())
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["documents", "issue-missing"])
    assert result.exit_code == 0, result.output
    assert "Выписано УПД: 2" in result.output
    session.expire_all()
    dates = [(upd.number, upd.issued_on.isoformat()) for upd in (upd_for_order(session, o.id) for o in (older, newer))]  # type: ignore[union-attr]
    assert dates == [(1, "2026-12-06"), (2, "2026-12-08")]
    again = runner.invoke(args=["documents", "issue-missing"])
    assert "Выписано УПД: 0" in again.output
    assert _count(session) == 2

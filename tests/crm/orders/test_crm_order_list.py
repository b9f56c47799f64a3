"""The staff order list: every filter against what was made, tabs and their counts, sorts, pages (one SELECT and
one GROUP BY per page), the account manager's landing scope, the audited formula-safe CSV, and bad query strings
refused in Russian (never a 500), on both engines."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.buyers.services import assign_managers
from crm.csv_export import csv_lines, safe_cell
from crm.orders.listing import (
    AWAITING_PAYMENT,
    PAGE_SIZE,
    OrderFilters,
    order_page,
    tab_counts,
)
from crm.staff.models import Role, StaffUser
from crm.tiers.services import seed_tiers, tiers_in_order
from storefront.account.models import Buyer
from storefront.order.models import Order, OrderStatus, PaymentStatus
from storefront.shipping.models import ShippingMethod
from tests.support.factories import create_buyer, make_staff, order_row
from tests.support.web import crm_login

#: A fixed «now» (Moscow: 2026-12-06 15:00).
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@dataclass
class World:
    orders: list[Order]
    manager: StaffUser
    other_manager: StaffUser
    buyers: list[Buyer]
    methods: list[ShippingMethod]
    tier_id: int


#: (buyer index, goods status, money status, placed hours ago, paid hours after placing or None, total, method)
PLAN = [
    (0, OrderStatus.NEW, PaymentStatus.UNPAID, 2, None, "1500.00", 0),
    (0, OrderStatus.NEW, PaymentStatus.PAID, 30, 1, "2500.00", 1),
    (1, OrderStatus.CONFIRMED, PaymentStatus.PAID, 100, 2, "99000.00", 0),
    (1, OrderStatus.PACKED, PaymentStatus.PARTIALLY_REFUNDED, 200, 1, "45000.50", 1),
    (2, OrderStatus.SHIPPED, PaymentStatus.PAID, 300, 1, "700.00", 0),
    (2, OrderStatus.DELIVERED, PaymentStatus.PAID, 500, 3, "12345.67", 0),
    (0, OrderStatus.COMPLETED, PaymentStatus.PAID, 2000, 1, "88000.00", 1),
    (1, OrderStatus.CANCELED, PaymentStatus.UNPAID, 20, None, "300.00", 0),
    (2, OrderStatus.CANCELED, PaymentStatus.REFUNDED, 900, 1, "5000.00", 1),
    # Placed at 23:30 Moscow on 05.12 (20:30 UTC): a Moscow day, not a UTC one.
    (0, OrderStatus.NEW, PaymentStatus.UNPAID, 15.5, None, "10.00", 0),
]


def _world(session: Session) -> World:
    seed_tiers(session)
    tiers = tiers_in_order(session)
    methods = [
        ShippingMethod(code="cdek", name="СДЭК", carrier="СДЭК"),
        ShippingMethod(code="post", name="Почта России", carrier="Почта России"),
    ]
    session.add_all(methods)
    buyers = [
        create_buyer(session, email="ivan@example.ru", name="Иван Петров"),
        create_buyer(session, email="romashka@example.ru", name="Мария Иванова", company=True),
        create_buyer(session, email="hacker@example.ru", name='=HYPERLINK("http://x")'),
    ]
    buyers[1].tier_id = tiers[2].id
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    other = make_staff(session, Role.ACCOUNT_MANAGER, email="dmitry@mostik.local")
    session.flush()
    assign_managers(session, [buyers[0].id], manager.id)
    assign_managers(session, [buyers[1].id], other.id)
    orders = []
    for index, (buyer, status, money, hours, paid_after, total, method) in enumerate(PLAN):
        placed = NOW - timedelta(hours=hours)
        order = order_row(
            buyers[buyer].id,
            status,
            Decimal(total),
            placed + timedelta(hours=paid_after) if paid_after is not None else None,
            payment_status=money,
        )
        order.created_at = placed
        order.email = buyers[buyer].email
        order.shipping_method_id = methods[method].id
        order.shipping_method_name = methods[method].name
        if buyer == 1:
            order.company_name, order.inn = "ООО «Ромашка»", "7707083893"
        session.add(order)
        session.flush()
        order.number = f"MK-2026-{100 + index:06d}"
        orders.append(order)
    session.commit()
    return World(orders, manager, other, buyers, methods, tiers[2].id)


def _numbers(session: Session, filters: OrderFilters) -> list[str]:
    return [row.number for row in order_page(session, filters, now=NOW).rows]


def _expected(world: World, keep) -> list[str]:  # noqa: ANN001
    chosen = [order for order in world.orders if keep(order)]
    chosen.sort(key=lambda order: (order.created_at, order.id), reverse=True)
    return [order.number or "" for order in chosen]


def test_every_filter_returns_exactly_the_matching_orders(session: Session) -> None:
    world = _world(session)
    buyers, methods = world.buyers, world.methods
    cases = {
        OrderFilters(): lambda o: True,
        OrderFilters(status="shipped"): lambda o: o.status == "shipped",
        OrderFilters(status=AWAITING_PAYMENT): lambda o: o.status == "new" and o.payment_status == "unpaid",
        OrderFilters(payment_status="paid"): lambda o: o.payment_status == "paid",
        # Placed on 05.12 in Moscow: from 04.12 21:00 to 05.12 21:00 UTC.
        OrderFilters(placed_from=date(2026, 12, 5), placed_to=date(2026, 12, 5)): lambda o: (
            datetime(2026, 12, 4, 21, tzinfo=UTC)
            <= o.created_at.replace(tzinfo=UTC)
            < datetime(2026, 12, 5, 21, tzinfo=UTC)
        ),
        OrderFilters(paid_from=date(2026, 12, 1)): lambda o: (
            o.paid_at is not None and o.paid_at.replace(tzinfo=UTC) >= datetime(2026, 11, 30, 21, tzinfo=UTC)
        ),
        OrderFilters(paid_to=date(2026, 11, 30)): lambda o: (
            o.paid_at is not None and o.paid_at.replace(tzinfo=UTC) < datetime(2026, 11, 30, 21, tzinfo=UTC)
        ),
        OrderFilters(search="иван петров"): lambda o: o.buyer_id == buyers[0].id,
        OrderFilters(search="Ромашка"): lambda o: o.buyer_id == buyers[1].id,
        OrderFilters(search="7707083893"): lambda o: o.buyer_id == buyers[1].id,
        OrderFilters(search="romashka@example.ru"): lambda o: o.buyer_id == buyers[1].id,
        OrderFilters(search="mk-2026-000104"): lambda o: o.number == "MK-2026-000104",
        OrderFilters(search="100_%"): lambda o: False,
        OrderFilters(manager_id=world.manager.id): lambda o: o.buyer_id == buyers[0].id,
        OrderFilters(tier_id=world.tier_id): lambda o: o.buyer_id == buyers[1].id,
        OrderFilters(shipping_method_id=methods[1].id): lambda o: o.shipping_method_id == methods[1].id,
        # Paid (money in), not shipped, paid more than 2 days (48 h) ago.
        OrderFilters(unshipped_days=2): lambda o: (
            o.status in ("new", "confirmed", "packed")
            and o.payment_status in ("paid", "partially_refunded")
            and o.paid_at is not None
            and o.paid_at.replace(tzinfo=UTC) < NOW - timedelta(days=2)
        ),
        OrderFilters(status="new", manager_id=world.manager.id, payment_status="unpaid"): lambda o: (
            o.status == "new" and o.payment_status == "unpaid" and o.buyer_id == buyers[0].id
        ),
    }
    for filters, keep in cases.items():
        expected = _expected(world, keep)
        assert _numbers(session, filters) == expected, filters
        assert order_page(session, filters, now=NOW).total == len(expected), filters


def test_the_tabs_count_every_status_under_the_other_filters_in_one_group_by(session: Session) -> None:
    world = _world(session)
    statements: list[str] = []
    engine = session.get_bind()

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        counts = tab_counts(session, OrderFilters(status="shipped"), now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 1 and "GROUP BY" in statements[0] and "count(*)" in statements[0]
    assert counts.total == len(PLAN)
    for status in OrderStatus:
        assert counts.of(status) == sum(1 for o in world.orders if o.status == status), status
    assert counts.of(AWAITING_PAYMENT) == 2
    assert counts.of(None) == len(PLAN)
    mine = tab_counts(session, OrderFilters(manager_id=world.manager.id), now=NOW)
    assert mine.total == 4 and mine.of("new") == 3 and mine.of("completed") == 1 and mine.of(AWAITING_PAYMENT) == 2


@pytest.mark.parametrize("sort", ["placed", "paid", "total", "number"])
@pytest.mark.parametrize("descending", [True, False])
def test_every_sort_both_ways(session: Session, sort: str, descending: bool) -> None:
    world = _world(session)
    key = {
        "placed": lambda o: o.created_at,
        "paid": lambda o: o.paid_at,
        "total": lambda o: o.total_amount,
        "number": lambda o: o.number,
    }[sort]
    with_value = sorted(
        (o for o in world.orders if key(o) is not None), key=lambda o: (key(o), o.id), reverse=descending
    )
    # Unpaid orders (no payment time) come after the paid ones either way.
    without = sorted((o for o in world.orders if key(o) is None), key=lambda o: o.id, reverse=descending)
    expected = [o.number for o in with_value + without]
    assert _numbers(session, OrderFilters(sort=sort, descending=descending)) == expected


def test_pages_are_one_select_each_and_a_page_past_the_end_shows_the_last(session: Session) -> None:
    buyer = create_buyer(session)
    for n in range(PAGE_SIZE * 2 + 7):
        order = order_row(buyer.id, OrderStatus.COMPLETED, Decimal(100 + n), NOW - timedelta(days=n))
        order.created_at = NOW - timedelta(days=n, hours=1)
        session.add(order)
        session.flush()
        order.number = f"MK-P-{n:04d}"
    session.commit()
    statements: list[str] = []
    engine = session.get_bind()

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    total = tab_counts(session, OrderFilters(), now=NOW).total
    event.listen(engine, "before_cursor_execute", record)
    try:
        pages = [order_page(session, OrderFilters(), page, now=NOW, total=total) for page in (1, 2, 3)]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 3
    assert [len(p.rows) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 7]
    assert [p.pages for p in pages] == [3, 3, 3]
    numbers = [row.number for p in pages for row in p.rows]
    assert numbers == [f"MK-P-{n:04d}" for n in range(PAGE_SIZE * 2 + 7)]
    past = order_page(session, OrderFilters(), 99, now=NOW, total=total)
    assert past.page == 3 and len(past.rows) == 7


def _client(app: Flask, session: Session, role: Role, email: str | None = None) -> FlaskClient:
    if email is None:
        make_staff(session, role)
        session.commit()
    client = app.test_client()
    assert crm_login(client, email or f"{role}@mostik.local").status_code == 302
    return client


def _shown(html: str) -> set[str]:
    import re

    return set(re.findall(r">(MK-2026-\d{6})</a>", html))


def test_an_account_manager_lands_on_their_own_buyers_orders_and_can_clear_it(app: Flask, session: Session) -> None:
    world = _world(session)
    client = _client(app, session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    mine = {o.number for o in world.orders if o.buyer_id == world.buyers[0].id}
    response = client.get("/crm/orders/")
    assert response.status_code == 200
    assert _shown(response.get_data(as_text=True)) == mine
    everyone = client.get("/crm/orders/?manager=")
    html = everyone.get_data(as_text=True)
    assert _shown(html) == {o.number for o in world.orders}
    # Someone else's buyers' orders show without their contact data.
    assert "romashka@example.ru" not in html and "ivan@example.ru" in html


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OPERATOR])
def test_admins_and_operators_see_every_order_with_tabs_and_russian_words(
    app: Flask, session: Session, role: Role
) -> None:
    world = _world(session)
    client = _client(app, session, role)
    html = client.get("/crm/orders/").get_data(as_text=True)
    assert _shown(html) == {o.number for o in world.orders}
    assert "Ожидают оплаты (2)" in html or "Ожидает оплаты (2)" in html
    assert "Отправлен (1)" in html and "Все (10)" in html
    for code in ("shipped", "partially_refunded", "awaiting_payment", "canceled"):
        assert f">{code}<" not in html, code
    tab = client.get("/crm/orders/?status=awaiting_payment").get_data(as_text=True)
    assert _shown(tab) == {o.number for o in world.orders if o.status == "new" and o.payment_status == "unpaid"}
    assert f'href="/crm/orders/{world.orders[0].number}"' in html


BAD_QUERIES = [
    "manager=9223372036854775808",
    "manager=abc",
    "manager=-1",
    "tier=9223372036854775808",
    "tier=1e3",
    "shipping=99999999999999999999999",
    "unshipped_days=9223372036854775808",
    "unshipped_days=-5",
    "page=9223372036854775808",
    "page=0",
    "placed_from=0001-01-01",
    "placed_to=9999-12-31",
    "paid_from=2026-13-45",
    "paid_to=%00",
    "placed_from=2026-12-06&placed_to=2026-12-01",
    "q=%00abc",
    "q=" + "я" * 300,
    "status=bogus",
    "status=%00",
    "payment_status=free",
    "sort=id;drop",
    "order=sideways",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_a_bad_filter_is_a_400_with_a_russian_message_never_a_500(app: Flask, session: Session, query: str) -> None:
    _world(session)
    client = _client(app, session, Role.ADMIN)
    for path in ("/crm/orders/", "/crm/orders/export.csv"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        text = response.get_data(as_text=True)
        assert any("а" <= ch <= "я" for ch in text.lower()), (path, query)
    assert session.scalar(select(AuditEntry.id)) is None  # a refused export is not an export


def test_the_csv_export_is_audited_streamed_and_formula_safe(app: Flask, session: Session) -> None:
    world = _world(session)
    client = _client(app, session, Role.OPERATOR)
    response = client.get("/crm/orders/export.csv?status=shipped&q=HYPERLINK")
    assert response.status_code == 200 and response.is_streamed
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Номер заказа"
    assert [row[0] for row in rows[1:]] == [o.number for o in world.orders if o.status == "shipped"]
    assert rows[1][6] == '\'=HYPERLINK("http://x")' and rows[1][3] == "Отправлен" and rows[1][5] == "700,00"
    entry = session.scalar(select(AuditEntry))
    assert entry is not None and entry.action == "orders.export" and "status=shipped" in entry.detail


def test_an_account_manager_exports_only_their_own_buyers_orders(app: Flask, session: Session) -> None:
    world = _world(session)
    client = _client(app, session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    body = client.get("/crm/orders/export.csv?manager=").get_data(as_text=True)
    numbers = {row[0] for row in csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";")}
    assert numbers - {"Номер заказа"} == {o.number for o in world.orders if o.buyer_id == world.buyers[0].id}


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+7 916", "'+7 916"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Иван", "Иван"),
        ("1 500,00", "1 500,00"),
        (None, ""),
        (Decimal("12.50"), "12,50"),  # as Russian Excel reads a number
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_apostrophe(value: object, written: str) -> None:
    assert safe_cell(value) == written


def test_csv_lines_start_with_the_bom_and_quote_semicolons() -> None:
    lines = list(csv_lines([["a;b", "=x"], ["1", "2"]]))
    assert lines == ["\ufeff", '"a;b";\'=x\r\n', "1;2\r\n"]


def test_the_operator_role_holds_orders_and_shipments_but_no_marketing() -> None:
    from crm.permissions import has_permission, sees_buyer_in_full

    for permission in ("orders.view", "orders.list", "orders.export", "orders.process", "shipments.edit"):
        assert has_permission(Role.OPERATOR, permission), permission
    for permission in ("segments.view", "campaigns.view", "promo.view", "retention.view", "orders.refund"):
        assert not has_permission(Role.OPERATOR, permission), permission
    assert has_permission(Role.OPERATOR, "buyers.view") and not sees_buyer_in_full(Role.OPERATOR, 1, 1)
    assert not has_permission(Role.ACCOUNT_MANAGER, "orders.process")
    assert not has_permission(Role.MARKETER, "orders.list")


def test_flask_staff_create_makes_an_operator_whose_navigation_has_orders_and_no_marketing(
    app: Flask, runner, session: Session
) -> None:
    result = runner.invoke(
        args=["staff", "create", "--email", "operator@mostik.local", "--role", "operator"],
        env={"MOSTIK_STAFF_PASSWORD": "staff password 123"},
    )
    assert result.exit_code == 0, result.output
    assert session.scalar(select(StaffUser.role)) == "operator"
    client = app.test_client()
    assert crm_login(client, "operator@mostik.local").status_code == 302
    html = client.get("/crm/orders/").get_data(as_text=True)
    nav = html.split("</header>")[0]
    assert 'href="/crm/orders/"' in nav and 'href="/crm/buyers/"' in nav
    for hidden in ("/crm/segments", "/crm/campaigns", "/crm/promo", "/crm/analytics/retention", "/crm/audit"):
        assert hidden not in nav, hidden

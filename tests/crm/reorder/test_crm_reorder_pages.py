"""«Повторные заказы» lists, the retention figures on a small known data set, their pages and CSV exports."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.buyers.models import BuyerProfile
from crm.permissions import PERMISSIONS
from crm.reorder.analytics import (
    cohort_retention,
    orders_per_buyer_per_year,
    repeat_purchase_rate,
    time_to_second_order,
)
from crm.reorder.models import BuyerStats
from crm.reorder.queries import (
    at_risk_buyers,
    buyer_reorder_summary,
    due_buyers,
    status_condition,
)
from crm.reorder.services import ReorderPolicy, recalc_reorders
from crm.staff.models import Role
from storefront.account.models import Buyer
from storefront.db import utcnow
from tests.support.factories import make_staff, paid_order
from tests.support.web import crm_csrf, crm_login

UTC = utcnow().tzinfo
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
POLICY = ReorderPolicy(due_days=14, lapse_multiple=1.0, default_interval_days=90.0)


def _buyer(session: Session, n: int, manager_id: int | None = None) -> int:
    buyer = Buyer(email=f"r{n}@example.ru", name=f"Покупатель {n}", phone="+79161234567")
    session.add(buyer)
    session.flush()
    session.add(BuyerProfile(buyer_id=buyer.id, manager_id=manager_id))
    session.commit()
    return buyer.id


def test_the_reorder_permissions_are_declared() -> None:
    assert PERMISSIONS["reorders.view"] == {Role.ADMIN, Role.ACCOUNT_MANAGER}
    assert PERMISSIONS["retention.view"] == {Role.ADMIN, Role.MARKETER}


def _history(session: Session) -> tuple[int, int, int, object]:
    manager = make_staff(session, "account_manager")
    other = make_staff(session, "account_manager", "other@mostik.local")
    due = _buyer(session, 1, manager.id)  # every 60 days, last 50 days ago → expected in 10 days
    paid_order(session, due, "50000.00", NOW - timedelta(days=110))
    paid_order(session, due, "50000.00", NOW - timedelta(days=50))
    late = _buyer(session, 2, manager.id)  # every 30 days, last 40 days ago → overdue
    paid_order(session, late, "90000.00", NOW - timedelta(days=70))
    paid_order(session, late, "90000.00", NOW - timedelta(days=40))
    others = _buyer(session, 3, other.id)  # overdue, but another manager's
    paid_order(session, others, "10000.00", NOW - timedelta(days=70))
    paid_order(session, others, "10000.00", NOW - timedelta(days=40))
    recalc_reorders(session, NOW, policy=POLICY)
    session.commit()
    return due, late, others, manager


def test_due_and_at_risk_lists_are_per_manager_and_sorted_by_spend(session: Session) -> None:
    due, late, others, manager = _history(session)
    assert [row.buyer.id for row in due_buyers(session, manager.id)] == [due]
    assert [row.buyer.id for row in at_risk_buyers(session, manager.id)] == [late]
    assert [row.buyer.id for row in at_risk_buyers(session, None)] == [late, others]  # by 12-month spend


def test_the_status_condition_filters_buyers(session: Session) -> None:
    due, late, others, _ = _history(session)

    def ids(condition) -> list[int]:
        query = select(Buyer.id).join(BuyerStats, BuyerStats.buyer_id == Buyer.id).where(condition)
        return list(session.scalars(query.order_by(Buyer.id)))

    assert ids(status_condition("overdue")) == [late, others]
    assert ids(status_condition(["due", "overdue"])) == [due, late, others]


def test_the_card_summary(session: Session) -> None:
    due, *_ = _history(session)
    summary = buyer_reorder_summary(session, due)
    assert summary is not None
    assert (summary.status, summary.order_count, summary.spend_total) == ("due", 2, Decimal("100000.00"))
    assert abs(summary.median_interval_days - 60) < 1e-6
    assert buyer_reorder_summary(session, 10**6) is None


def test_the_manager_sees_own_buyers_and_the_admin_chooses(app: Flask, session: Session) -> None:
    due, late, others, manager = _history(session)
    client = app.test_client()
    crm_login(client, "account_manager@mostik.local")
    html = client.get("/crm/reorders").get_data(as_text=True)
    assert "Покупатель 1" in html and "Покупатель 2" not in html and "Покупатель 3" not in html
    assert "Пора повторить заказ (1)" in html and "Под угрозой ухода (1)" in html
    risk = client.get("/crm/reorders?tab=risk").get_data(as_text=True)
    assert "Покупатель 2" in risk and "Покупатель 1" not in risk and "Покупатель 3" not in risk
    admin = app.test_client()
    make_staff(session, "admin")
    session.commit()
    crm_login(admin, "admin@mostik.local")
    assert "Покупатель 3" in admin.get("/crm/reorders?tab=risk").get_data(as_text=True)
    only = admin.get(f"/crm/reorders?manager={manager.id}&tab=risk").get_data(as_text=True)
    assert "Покупатель 3" not in only and "Покупатель 2" in only
    assert admin.get("/crm/reorders?manager=abc").status_code == 400


def _cohort_data(session: Session) -> None:
    # Cohort 2026-01 (Moscow): A first 2026-01-10, again 2026-02-15 and 2026-04-01; B only 2026-01-31 23:30 MSK.
    # Cohort 2026-02: C first 2026-01-31 21:30 UTC = 2026-02-01 00:30 MSK, again 2026-03-05.
    a, b, c = (_buyer(session, n) for n in (11, 12, 13))
    paid_order(session, a, "1000.00", datetime(2026, 1, 10, 9, tzinfo=UTC))
    paid_order(session, a, "1000.00", datetime(2026, 2, 15, 9, tzinfo=UTC))
    paid_order(session, a, "1000.00", datetime(2026, 4, 1, 9, tzinfo=UTC))
    paid_order(session, b, "1000.00", datetime(2026, 1, 31, 20, 30, tzinfo=UTC))
    paid_order(session, c, "1000.00", datetime(2026, 1, 31, 21, 30, tzinfo=UTC))
    paid_order(session, c, "1000.00", datetime(2026, 3, 5, 9, tzinfo=UTC))
    d = _buyer(session, 14)  # refunded in full: not a buyer at all
    paid_order(session, d, "1000.00", datetime(2026, 1, 5, 9, tzinfo=UTC), refunded="1000.00")


def test_the_cohort_table_on_a_known_data_set(session: Session) -> None:
    _cohort_data(session)
    cohorts = cohort_retention(session, now=datetime(2026, 4, 20, tzinfo=UTC))
    assert [(row.month, row.size, row.active) for row in cohorts] == [
        ("2026-01", 2, [2, 1, 0, 1]),
        ("2026-02", 1, [1, 1, 0]),
    ]
    assert [str(p) for p in cohorts[0].percents] == ["100.0", "50.0", "0.0", "50.0"]


def test_repeat_rate_orders_per_year_and_time_to_second_order(session: Session) -> None:
    _cohort_data(session)
    rate = repeat_purchase_rate(session)
    assert (rate.buyers, rate.repeat_buyers, rate.percent) == (3, 2, Decimal("66.7"))
    assert [(row.year, row.buyers, row.orders, row.per_buyer) for row in orders_per_buyer_per_year(session)] == [
        (2026, 3, 6, Decimal("2.00"))
    ]
    buckets = {row.label: row.buyers for row in time_to_second_order(session)}
    assert buckets == {"0–30": 0, "31–60": 2, "61–90": 0, "91–180": 0, "181–365": 0, "365+": 0}


def test_the_retention_page_and_audited_csv_exports(app: Flask, session: Session) -> None:
    _cohort_data(session)
    make_staff(session, "marketer")
    session.commit()
    client = app.test_client()
    crm_login(client, "marketer@mostik.local")
    html = client.get("/crm/analytics/retention").get_data(as_text=True)
    assert "66,7\xa0%" in html and "2026-01" in html and "rgba(34, 170, 119, 0.50)" in html
    response = client.get("/crm/analytics/retention/export.csv?table=cohorts")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.splitlines()[1].startswith("2026-01;2;100,0;50,0")
    for table in ("repeat", "years", "second"):
        assert client.get(f"/crm/analytics/retention/export.csv?table={table}").status_code == 200
    assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.export")).all()) == 4
    bad = client.get("/crm/analytics/retention/export.csv?table=passwords")
    assert bad.status_code == 400 and "repeat" in bad.get_data(as_text=True)


def test_the_card_block_renders_the_summary(app: Flask, session: Session) -> None:
    from flask import render_template

    due, *_ = _history(session)
    summary = buyer_reorder_summary(session, due)
    with app.test_request_context("/crm/"):
        html = render_template("crm/_reorder_summary.html", reorder=summary)
        empty = render_template("crm/_reorder_summary.html", reorder=None)
    assert "пора заказать" in html and "60 дней" in html and "100\xa0000,00" in html
    assert "Оплаченных заказов пока нет." in empty


def test_top_products_and_categories_count_paid_orders_not_refunded_ones(session: Session) -> None:
    from storefront.order.models import OrderLine, PaymentStatus
    from tests.support.factories import create_category, create_product, create_shop

    shoe = create_shop(session)
    bags = create_category(session, name="Сумки")
    bag = create_product(session, bags, shoe.supplier, title="Сумка")
    buyer_id = _buyer(session, 21)
    refunded = paid_order(session, buyer_id, "10.00", NOW - timedelta(days=5), refunded="10.00")
    refunded.payment_status = PaymentStatus.REFUNDED
    orders = [paid_order(session, buyer_id, "10.00", NOW - timedelta(days=d)) for d in (30, 20, 10)]
    plan = [(orders[0], shoe, 5), (orders[1], shoe, 7), (orders[2], bag, 50), (orders[2], shoe, 1), (refunded, bag, 9)]
    for order, product, quantity in plan:
        session.add(
            OrderLine(
                order_id=order.id, product_id=product.id, supplier_id=product.supplier_id, sku=product.sku,
                title=product.title, quantity=quantity, unit_price=Decimal("1.00"), line_amount=Decimal(quantity),
                commission_bp=500,
            )
        )  # fmt: skip
    session.commit()
    recalc_reorders(session, NOW, policy=POLICY)
    session.commit()
    summary = buyer_reorder_summary(session, buyer_id)
    assert [(p.title, p.orders, p.quantity) for p in summary.top_products] == [
        (shoe.title, 3, 13),
        ("Сумка", 1, 50),
    ]
    assert [(c.name, c.orders) for c in summary.top_categories] == [(shoe.category.name, 3), ("Сумки", 1)]


def test_moscow_months_and_years_at_the_month_and_year_edges(session: Session) -> None:
    # SQLite reads the month off the stored UTC text except from 21:00 UTC on days 28–31; these sit on both
    # sides of that shortcut (a 30-day month, February in a leap year and not, the turn of the year).
    edges = [
        datetime(2026, 1, 28, 21, 30, tzinfo=UTC),  # 29 Jan 00:30 MSK: still January
        datetime(2026, 2, 28, 21, 0, tzinfo=UTC),  # 1 Mar 00:00 MSK
        # 30 Apr 23:59:59.999999 MSK: April (SQLite's datetime() rounds to the millisecond, so reading every
        # month through it put this order into May; PostgreSQL never did).
        datetime(2026, 4, 30, 20, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 4, 30, 21, 0, tzinfo=UTC),  # 1 May 00:00 MSK
        datetime(2026, 12, 31, 21, 0, tzinfo=UTC),  # 1 Jan 2027 00:00 MSK: another year
        datetime(2028, 2, 28, 21, 30, tzinfo=UTC),  # 29 Feb 2028 00:30 MSK: still February (leap year)
        datetime(2028, 2, 29, 20, 59, tzinfo=UTC),  # 29 Feb 2028 23:59 MSK
    ]
    for n, paid_at in enumerate(edges, start=21):
        paid_order(session, _buyer(session, n), "1000.00", paid_at)
    cohorts = cohort_retention(session, now=datetime(2028, 3, 15, tzinfo=UTC))
    assert [(row.month, row.size) for row in cohorts] == [
        ("2026-01", 1),
        ("2026-03", 1),
        ("2026-04", 1),
        ("2026-05", 1),
        ("2027-01", 1),
        ("2028-02", 2),
    ]
    assert [(row.year, row.buyers, row.orders) for row in orders_per_buyer_per_year(session)] == [
        (2026, 4, 4),
        (2027, 1, 1),
        (2028, 2, 2),
    ]


def test_the_page_reads_the_snapshot_until_it_is_retaken(app: Flask, session: Session) -> None:
    from crm.reorder.models import RetentionSnapshot
    from crm.reorder.snapshot import KEEP, latest_figures, take_snapshot

    _cohort_data(session)
    make_staff(session, "marketer")
    session.commit()
    taken = take_snapshot(session, datetime(2026, 4, 20, 0, 30, tzinfo=UTC))
    session.commit()
    assert latest_figures(session) == taken, "a snapshot reads back as the figures it stored"
    # A new repeat order after the snapshot: the page keeps showing the snapshot and says when it was taken.
    paid_order(session, _buyer(session, 15), "1000.00", datetime(2026, 4, 19, 9, tzinfo=UTC))
    session.commit()
    client = app.test_client()
    crm_login(client, "marketer@mostik.local")
    html = client.get("/crm/analytics/retention").get_data(as_text=True)
    assert "20 апреля 2026, 03:30" in html, "the snapshot time in Moscow time"
    assert "66,7\xa0%" in html
    csv_rows = client.get("/crm/analytics/retention/export.csv?table=repeat").get_data(as_text=True).splitlines()
    assert csv_rows[1].startswith("3;2;66,7"), "the export matches the page, not the live data"
    # Recalculating by hand takes the new order into account.
    assert client.post("/crm/analytics/retention/refresh", data={"csrf_token": "forged"}).status_code == 400
    assert len(session.scalars(select(RetentionSnapshot)).all()) == 1
    token = crm_csrf(client, "/crm/analytics/retention")
    response = client.post("/crm/analytics/retention/refresh", data={"csrf_token": token, "confirm": "1"})
    assert response.status_code == 302
    page = client.get("/crm/analytics/retention").get_data(as_text=True)
    assert "<strong>50\xa0%</strong> — 4 покупателя" in page, page[page.find("<h1>") : page.find("<h1>") + 900]
    for hour in range(KEEP + 3):
        take_snapshot(session, datetime(2026, 4, 21, hour, tzinfo=UTC))
    session.commit()
    assert len(session.scalars(select(RetentionSnapshot)).all()) == KEEP


def test_the_first_visit_takes_a_snapshot_and_the_nightly_job_takes_more(app: Flask, session: Session) -> None:
    from crm.reorder.models import RetentionSnapshot
    from crm.reorder.snapshot import retention_snapshot_job

    _cohort_data(session)
    make_staff(session, "marketer")
    session.commit()
    client = app.test_client()
    crm_login(client, "marketer@mostik.local")
    assert "66,7\xa0%" in client.get("/crm/analytics/retention").get_data(as_text=True)
    assert len(session.scalars(select(RetentionSnapshot)).all()) == 1
    assert retention_snapshot_job(session, utcnow()) == "buyers 3, cohorts 2"
    assert len(session.scalars(select(RetentionSnapshot)).all()) == 2

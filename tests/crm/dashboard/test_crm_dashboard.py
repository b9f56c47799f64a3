"""The CRM dashboard: its set-based queries against a small data set computed by hand (Moscow month boundaries,
refunds, guests, statuses that do not count), and the page with its chart data, on both engines."""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.dashboard.queries import MONTHS, buyers_per_tier, headline, revenue_by_month, top_buyers
from crm.staff.models import Role
from crm.tiers.services import seed_tiers
from storefront.account.models import Tier
from storefront.moscow import moscow_month_starts
from storefront.order.models import Order
from storefront.payment.models import AttemptStatus, Payment, Refund, RefundState
from tests.support.factories import create_buyer, make_staff, paid_order
from tests.support.web import crm_login

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _order(session: Session, buyer_id: int | None, amount: str, paid_at: datetime, tier: str | None, **kw) -> Order:
    order = paid_order(session, buyer_id, amount, paid_at=paid_at, **kw)
    order.tier_code = tier
    session.commit()
    return order


def _data_set(session: Session) -> dict[str, int]:
    seed_tiers(session)
    tier = {code: id_ for code, id_ in session.execute(select(Tier.code, Tier.id))}
    gold = create_buyer(session, email="gold@example.ru", name="Анна Золотова", tier_id=tier["gold"])
    silver = create_buyer(session, email="silver@example.ru", name="Борис Серебров", tier_id=tier["silver"])
    none = create_buyer(session, email="none@example.ru", name="Вера Безуровнева")
    standard = create_buyer(session, email="std@example.ru", name="Глеб Стандартов", tier_id=tier["standard"])
    session.commit()
    # November 2026 (Moscow): 100 000 + (50 000 − 20 000 refunded) for gold; 3 000 from a guest.
    _order(session, gold.id, "100000.00", _utc(2026, 11, 10, 10, 0), "gold")
    _order(session, gold.id, "50000.00", _utc(2026, 10, 31, 21, 30), "gold", refunded="20000.00")  # 00:30 MSK
    _order(session, None, "3000.00", _utc(2026, 11, 12, 9, 0), None)
    # October 2026: 23:30 on 31 October in Moscow is still October.
    _order(session, silver.id, "40000.00", _utc(2026, 10, 31, 20, 30), "silver")
    # 23:59 on 30 November 2025 in Moscow: before the 12 months shown, but within the 365-day spend window.
    _order(session, silver.id, "10000.00", _utc(2025, 11, 30, 20, 59), "silver")
    # 00:00 on 1 December 2025 in Moscow: the first month shown.
    _order(session, silver.id, "5000.00", _utc(2025, 11, 30, 21, 0), "silver")
    # June 2026, no tier; a pending refund and a canceled payment do not count.
    june = _order(session, none.id, "7000.50", _utc(2026, 6, 15, 8, 0), None)
    payment = session.scalar(select(Payment).where(Payment.order_id == june.id))
    session.add(
        Refund(
            payment_id=payment.id,
            order_id=june.id,
            idempotence_key=secrets.token_hex(16),
            status=RefundState.PENDING,
            amount=Decimal("1000.00"),
        )
    )
    session.add(
        Payment(
            order_id=june.id,
            idempotence_key=secrets.token_hex(16),
            status=AttemptStatus.CANCELED,
            amount=Decimal("7000.50"),
            description="x",
            return_url="http://127.0.0.1/",
        )
    )
    session.commit()
    return {"gold": gold.id, "silver": silver.id, "none": none.id, "standard": standard.id}


def test_month_starts_are_moscow_midnights() -> None:
    starts = moscow_month_starts(NOW, MONTHS)
    assert len(starts) == 13
    assert starts[0] == _utc(2025, 11, 30, 21, 0)  # 1 December 2025, 00:00 MSK
    assert starts[-2] == _utc(2026, 10, 31, 21, 0)  # 1 November 2026
    assert starts[-1] == _utc(2026, 11, 30, 21, 0)  # 1 December 2026
    assert moscow_month_starts(_utc(2026, 1, 10), 2)[0] == _utc(2025, 11, 30, 21, 0)


def test_revenue_by_month_by_tier_is_net_of_refunds_in_moscow_months(session: Session) -> None:
    _data_set(session)

    revenue = revenue_by_month(session, NOW)

    assert revenue.months[0] == date(2025, 12, 1) and revenue.months[-1] == date(2026, 11, 1)
    by_code = {series.code: series.amounts for series in revenue.series}
    assert [series.code for series in revenue.series] == [None, "standard", "silver", "gold", "platinum"]
    zero = Decimal("0.00")
    assert by_code["gold"] == [zero] * 11 + [Decimal("130000.00")]
    assert by_code["silver"] == [Decimal("5000.00")] + [zero] * 9 + [Decimal("40000.00"), zero]
    assert by_code[None][6] == Decimal("7000.50") and by_code[None][11] == Decimal("3000.00")
    assert sum(by_code[None]) == Decimal("10000.50")
    assert by_code["standard"] == by_code["platinum"] == [zero] * 12
    assert revenue.month_total(11) == Decimal("133000.00")


def test_headline_buyers_per_tier_and_top_buyers(session: Session) -> None:
    ids = _data_set(session)

    figures = headline(session, NOW)
    assert figures.revenue_this_month == Decimal("133000.00")
    assert figures.paid_orders_this_month == 3
    assert figures.vip_buyers == 2  # gold and silver; the base tier and no tier are not VIP

    assert [(row.name, row.buyers) for row in buyers_per_tier(session)] == [
        ("Стандарт", 1),
        ("Серебро", 1),
        ("Золото", 1),
        ("Платина", 0),
        (None, 1),
    ]

    top = top_buyers(session, NOW)
    assert [(row.buyer_id, row.spend) for row in top] == [
        (ids["gold"], Decimal("130000.00")),
        (ids["silver"], Decimal("55000.00")),  # the 365-day window, not calendar months
        (ids["none"], Decimal("7000.50")),  # a pending refund does not lower spend
    ]
    assert top[0].tier_name == "Золото" and top[2].tier_name is None
    assert len(top_buyers(session, NOW, limit=2)) == 2


def test_an_empty_database_gives_zeros(session: Session) -> None:
    revenue = revenue_by_month(session, NOW)
    assert revenue.series == [] and len(revenue.months) == 12
    assert headline(session, NOW).revenue_this_month == Decimal("0.00")
    assert top_buyers(session, NOW) == []


def _chart_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert match, "no chart data in the page"
    return json.loads(match.group(1))


def test_the_dashboard_page_embeds_the_chart_data_and_links_top_buyers_for_roles_that_see_cards(
    app: Flask, session: Session
) -> None:
    seed_tiers(session)
    gold = session.scalar(select(Tier.id).where(Tier.code == "gold"))
    buyer = create_buyer(session, email="top@example.ru", name="Анна <Топ>", tier_id=gold)
    session.commit()
    order = paid_order(session, buyer.id, "1234.56")
    order.tier_code = "gold"
    session.commit()

    pages = {}
    for role in (Role.ADMIN, Role.MARKETER, Role.ACCOUNT_MANAGER):
        make_staff(session, role)
        session.commit()
        client = app.test_client()
        assert crm_login(client, f"{role}@mostik.local").status_code == 302
        response = client.get("/crm/")
        assert response.status_code == 200, role
        pages[role] = response.get_data(as_text=True)

    html = pages[Role.ADMIN]
    data = _chart_data(html)
    assert len(data["revenue"]["labels"]) == 12
    gold_series = next(s for s in data["revenue"]["series"] if s["label"] == "Золото")
    assert gold_series["data"][-1] == 1235  # whole roubles on the axis
    assert data["tiers"]["labels"] == ["Стандарт", "Серебро", "Золото", "Платина"]
    assert data["tiers"]["data"] == [0, 0, 1, 0]
    assert "chart.umd.js" in html and "crm/dashboard.js" in html
    assert "1\u00a0234,56\u00a0₽" in html  # the headline revenue
    assert "Анна &lt;Топ&gt;" in html  # escaped in the table
    card = f'href="/crm/buyers/{buyer.id}"'
    assert card in html and card in pages[Role.ACCOUNT_MANAGER]
    assert card not in pages[Role.MARKETER]  # marketers do not open buyer cards
    assert "Анна &lt;Топ&gt;" in pages[Role.MARKETER]


def test_the_vendored_chart_library_is_served_locally(app: Flask) -> None:
    response = app.test_client().get("/static/crm/vendor/chartjs/chart.umd.js")
    assert response.status_code == 200
    assert b"Chart.js v4" in response.data[:200]
    response.close()

"""The cross-campaign report: its GROUP BY reads against a Python reference computed from the rows the factories
made (several campaigns and Moscow months, an order at 23:30 Moscow on a month's last day), agreement with each
campaign's own report, the period and scope filters, bad input in Russian, the CSV exports (audited), on both
engines."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.campaigns.models import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from crm.campaigns.overview import MAX_MONTHS, Figures, Scope, campaign_overview, default_period
from crm.campaigns.queries import campaign_report
from crm.staff.models import Role
from storefront.moscow import moscow_to_utc, to_moscow
from storefront.order.models import MONEY_IN, Order, OrderStatus, PaymentStatus
from tests.support import factories
from tests.support.factories import make_staff, paid_order
from tests.support.web import crm_login, crm_sign_in_as

START, END = date(2026, 8, 1), date(2026, 11, 30)
#: 23:30 Moscow on 31 October is 20:30 UTC the same day: October. 00:30 Moscow on 1 November is 21:30 UTC on
#: 31 October: November (a UTC month would put it in October).
LAST_EVENING = moscow_to_utc(datetime(2026, 10, 31, 23, 30))
FIRST_NIGHT = moscow_to_utc(datetime(2026, 11, 1, 0, 30))
STATUSES = [RecipientStatus.SENT] * 6 + [RecipientStatus.FAILED, RecipientStatus.CONTROL, RecipientStatus.SKIPPED]


def _campaign(session: Session, name: str, started: datetime | None, trigger: str | None = None) -> Campaign:
    campaign = factories.create_campaign(session, name=name)
    campaign.started_at = started
    campaign.status = CampaignStatus.SENT if started else CampaignStatus.DRAFT
    campaign.trigger = trigger
    session.flush()
    return campaign


def _data_set(session: Session) -> dict[str, Campaign]:
    """Five manual campaigns (one started before the period, one after, one never) and one automatic one, with
    recipients and attributed orders spread over several Moscow months by a seeded generator."""
    rng = random.Random(18)
    buyers = [factories.create_recipient(session, f"b{n}@example.ru") for n in range(12)]
    campaigns = {
        "july": _campaign(session, "Летняя распродажа", datetime(2026, 7, 20, 9, tzinfo=UTC)),
        "august": _campaign(session, "Новинки августа", moscow_to_utc(datetime(2026, 8, 1, 0, 10))),
        "september": _campaign(session, "Школьный сезон", datetime(2026, 9, 14, 7, tzinfo=UTC)),
        "october": _campaign(session, "Последний день октября", moscow_to_utc(datetime(2026, 10, 31, 22, 0))),
        "december": _campaign(session, "Зимние куртки", datetime(2026, 12, 3, 7, tzinfo=UTC)),
        "draft": _campaign(session, "Черновик", None),
        "cart": _campaign(session, "Брошенная корзина", None, trigger="abandoned_cart"),
    }
    for key, campaign in campaigns.items():
        if key == "draft":
            continue
        base = campaign.started_at or datetime(2026, 7, 25, 9, tzinfo=UTC)
        for buyer in buyers:
            status = rng.choice(STATUSES)
            sent_at = base + timedelta(hours=rng.randint(0, 24 * 150 if key == "cart" else 36))
            row = CampaignRecipient(
                campaign_id=campaign.id,
                buyer_id=buyer.id,
                email=buyer.email,
                status=status,
                is_control=status == RecipientStatus.CONTROL,
                sent_at=sent_at if status == RecipientStatus.SENT else None,
            )
            if status == RecipientStatus.SENT:
                if rng.random() < 0.6:
                    row.first_opened_at = sent_at + timedelta(hours=rng.randint(1, 400))
                    if rng.random() < 0.5:
                        row.first_clicked_at = row.first_opened_at + timedelta(minutes=5)
                if rng.random() < 0.2:
                    row.unsubscribed_at = sent_at + timedelta(hours=rng.randint(1, 900))
            session.add(row)
            if status == RecipientStatus.SENT and rng.random() < 0.5:
                amount = Decimal(rng.randint(10000, 900000)) / 100
                order = paid_order(session, buyer.id, amount)
                order.campaign_id = campaign.id
                order.created_at = sent_at + timedelta(hours=rng.randint(1, 24 * 40))
                order.payment_status = rng.choice(
                    [PaymentStatus.PAID, PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED]
                )
    october = campaigns["october"]
    for moment, amount in ((LAST_EVENING, "1000.10"), (FIRST_NIGHT, "2000.20")):
        order = paid_order(session, buyers[0].id, amount)
        order.campaign_id, order.created_at = october.id, moment
    unpaid = factories.order_row(buyers[1].id, OrderStatus.NEW, Decimal("777.00"), None, PaymentStatus.UNPAID)
    unpaid.campaign_id, unpaid.created_at = october.id, LAST_EVENING
    session.add(unpaid)
    session.commit()
    return campaigns


def _in(moment: datetime | None, start: date, end: date) -> bool:
    return moment is not None and start <= to_moscow(moment).date() <= end


def _reference_campaign(session: Session, campaign: Campaign, window: tuple[date, date] | None) -> Figures:
    """Figures of one campaign computed in Python: all of them, or (automatic) messages sent / orders placed in
    the window."""
    figures = Figures()
    for row in session.scalars(select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign.id)):
        if window is not None and not _in(row.sent_at, *window):
            continue
        figures.delivered += row.status == RecipientStatus.SENT
        figures.opened += row.first_opened_at is not None
        figures.clicked += row.first_clicked_at is not None
        figures.unsubscribed += row.unsubscribed_at is not None
    for order in session.scalars(select(Order).where(Order.campaign_id == campaign.id)):
        if order.payment_status in MONEY_IN and (window is None or _in(order.created_at, *window)):
            figures.orders += 1
            figures.revenue += order.total_amount
    return figures


def _reference_months(session: Session, start: date, end: date, scope: Scope) -> dict[date, Figures]:
    def covered(campaign_id: int) -> bool:
        trigger = session.get(Campaign, campaign_id).trigger
        return scope is Scope.ALL or (trigger is None) == (scope is Scope.MANUAL)

    months: dict[date, Figures] = defaultdict(Figures)

    def month(moment: datetime) -> date:
        return to_moscow(moment).date().replace(day=1)

    for row in session.scalars(select(CampaignRecipient)):
        if not covered(row.campaign_id):
            continue
        if row.status == RecipientStatus.SENT and _in(row.sent_at, start, end):
            months[month(row.sent_at)].delivered += 1
        if _in(row.unsubscribed_at, start, end):
            months[month(row.unsubscribed_at)].unsubscribed += 1
    for order in session.scalars(select(Order).where(Order.campaign_id.is_not(None))):
        if covered(order.campaign_id) and order.payment_status in MONEY_IN and _in(order.created_at, start, end):
            months[month(order.created_at)].orders += 1
            months[month(order.created_at)].revenue += order.total_amount
    return months


def _same(got: Figures, expected: Figures, where: object) -> None:
    assert (got.delivered, got.opened, got.clicked, got.unsubscribed, got.orders, got.revenue) == (
        expected.delivered,
        expected.opened,
        expected.clicked,
        expected.unsubscribed,
        expected.orders,
        expected.revenue,
    ), where


def test_figures_by_campaign_agree_with_a_python_reference_and_each_campaign_report(session: Session) -> None:
    campaigns = _data_set(session)
    overview = campaign_overview(session, START, END, Scope.ALL)
    by_id = {line.campaign_id: line for line in overview.campaigns}
    manual = [campaigns[key] for key in ("october", "september", "august")]  # newest sending first
    assert [line.campaign_id for line in overview.campaigns if line.trigger is None] == [c.id for c in manual]
    for campaign in manual:
        line = by_id[campaign.id]
        _same(line.figures, _reference_campaign(session, campaign, None), campaign.name)
        report = campaign_report(session, campaign)
        assert (line.figures.delivered, line.figures.opened, line.figures.clicked) == (
            report.delivered,
            report.opened,
            report.clicked,
        )
        assert (line.figures.unsubscribed, line.figures.orders, line.figures.revenue) == (
            report.unsubscribed,
            report.orders,
            report.revenue,
        )
        assert line.figures.revenue_per_message == report.revenue_per_message
        assert (line.figures.open_rate, line.figures.click_rate) == (report.open_rate, report.click_rate)
    cart = by_id[campaigns["cart"].id]
    assert cart.trigger == "abandoned_cart" and cart.started_at is None
    _same(cart.figures, _reference_campaign(session, campaigns["cart"], (START, END)), "automatic")
    assert cart.figures.delivered < _reference_campaign(session, campaigns["cart"], None).delivered  # windowed
    for key in ("july", "december", "draft"):
        assert campaigns[key].id not in by_id
    # The october campaign holds the boundary orders and not the unpaid one.
    assert by_id[campaigns["october"].id].figures.revenue >= Decimal("3000.30")


def test_figures_by_moscow_month_agree_with_a_python_reference(session: Session) -> None:
    _data_set(session)
    for scope in Scope:
        overview = campaign_overview(session, START, END, scope)
        assert [line.month for line in overview.months] == [date(2026, m, 1) for m in (8, 9, 10, 11)]
        expected = _reference_months(session, START, END, scope)
        for line in overview.months:
            reference = expected.get(line.month, Figures())
            assert (line.figures.delivered, line.figures.unsubscribed, line.figures.orders, line.figures.revenue) == (
                reference.delivered,
                reference.unsubscribed,
                reference.orders,
                reference.revenue,
            ), (scope, line.month)
        total = overview.month_total
        assert total.revenue == sum((f.revenue for f in expected.values()), Decimal("0.00"))
        assert total.delivered > 0 and total.orders > 0
    assert campaign_overview(session, START, END, Scope.MANUAL).month_total.revenue < (
        campaign_overview(session, START, END, Scope.ALL).month_total.revenue
    )


def test_an_order_at_23_30_moscow_on_the_last_day_counts_in_that_month(session: Session) -> None:
    buyer = factories.create_recipient(session, "edge@example.ru")
    campaign = _campaign(session, "Граница месяца", LAST_EVENING - timedelta(hours=3))
    for moment, amount in ((LAST_EVENING, "1000.10"), (FIRST_NIGHT, "2000.20")):
        order = paid_order(session, buyer.id, amount)
        order.campaign_id, order.created_at = campaign.id, moment
    session.add(
        CampaignRecipient(
            campaign_id=campaign.id,
            buyer_id=buyer.id,
            email=buyer.email,
            status=RecipientStatus.SENT,
            sent_at=LAST_EVENING,
            unsubscribed_at=FIRST_NIGHT,
        )
    )
    session.commit()
    assert LAST_EVENING.astimezone(UTC).month == 10 and FIRST_NIGHT.astimezone(UTC).day == 31  # UTC says October
    months = {line.month: line.figures for line in campaign_overview(session, START, END).months}
    assert (months[date(2026, 10, 1)].orders, months[date(2026, 10, 1)].revenue) == (1, Decimal("1000.10"))
    assert (months[date(2026, 11, 1)].orders, months[date(2026, 11, 1)].revenue) == (1, Decimal("2000.20"))
    assert months[date(2026, 10, 1)].delivered == 1 and months[date(2026, 10, 1)].revenue_per_message == Decimal(
        "1000.10"
    )
    assert months[date(2026, 11, 1)].unsubscribed == 1 and months[date(2026, 11, 1)].revenue_per_message is None
    # A period that ends on 31 October leaves out the order placed half an hour after its end, Moscow time.
    october = campaign_overview(session, date(2026, 10, 1), date(2026, 10, 31))
    assert october.month_total.revenue == Decimal("1000.10")
    # A period starting mid-month: its first month starts on that day.
    late = campaign_overview(session, date(2026, 11, 1), date(2026, 11, 30))
    assert [line.month for line in late.months] == [date(2026, 11, 1)] and late.month_total.orders == 1
    assert late.campaigns == []  # the campaign started in October


def test_the_default_period_is_this_month_and_the_eleven_before() -> None:
    assert default_period(date(2026, 12, 6)) == (date(2026, 1, 1), date(2026, 12, 6))
    assert default_period(date(2026, 3, 31)) == (date(2025, 4, 1), date(2026, 3, 31))


def test_the_page_shows_both_tables_the_chart_data_and_says_how_revenue_is_dated(
    session: Session, client: FlaskClient
) -> None:
    campaigns = _data_set(session)
    crm_sign_in_as(session, client)
    listing = client.get("/crm/campaigns/").get_data(as_text=True)
    assert "/crm/campaigns/report" in listing
    response = client.get("/crm/campaigns/report?date_from=2026-08-01&date_to=2026-11-30&scope=manual")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/crm/campaigns/{campaigns["october"].id}"' in page
    assert "Брошенная корзина" not in page  # manual campaigns only
    assert "Летняя распродажа" not in page  # started before the period
    assert "по дате оформления заказа" in page and "по московскому времени" in page
    assert "ноябрь 2026" in page and 'id="campaign-report-data"' in page
    assert "<script>" not in page.replace('<script type="application/json"', "")  # no inline script
    revenue = campaign_report(session, campaigns["october"]).revenue
    assert format(revenue, ",.2f").replace(",", "\xa0").replace(".", ",") + "\xa0₽" in page
    everything = client.get("/crm/campaigns/report?date_from=2026-08-01&date_to=2026-11-30&scope=all")
    assert "Брошенная корзина" in everything.get_data(as_text=True)
    assert client.get("/crm/campaigns/report").status_code == 200  # the default period


def test_bad_periods_are_refused_in_russian_with_400(session: Session, client: FlaskClient) -> None:
    crm_sign_in_as(session, client)
    for query, words in (
        ("date_from=2026-13-01", "06.12.2026"),
        ("date_from=вчера", "06.12.2026"),
        ("date_from=1900-01-01", "2000"),
        ("date_from=2026-11-01&date_to=2026-10-01", "заканчиваться"),
        ("date_from=2020-01-01&date_to=2026-01-01", str(MAX_MONTHS)),
        ("scope=everything", "из списка"),
        ("date_to=9999-12-31", "2000"),
    ):
        response = client.get(f"/crm/campaigns/report?{query}")
        assert response.status_code == 400, query
        assert words in response.get_data(as_text=True), query
        export = client.get(f"/crm/campaigns/report/months.csv?{query}")
        assert export.status_code == 400, query
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign_report.export")) is None


def test_csv_exports_are_audited_and_match_the_tables(session: Session, client: FlaskClient) -> None:
    campaigns = _data_set(session)
    crm_sign_in_as(session, client)
    query = "date_from=2026-08-01&date_to=2026-11-30&scope=manual"
    response = client.get(f"/crm/campaigns/report/campaigns.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Рассылка;Канал;Начало отправки (Москва);Доставлено сообщений;")
    assert len(lines) == 1 + 3 + 1  # header, three campaigns, total
    report = campaign_report(session, campaigns["october"])
    assert any(
        line.startswith("Последний день октября;") and f";{report.delivered};{report.orders};" in line for line in lines
    )
    months = client.get(f"/crm/campaigns/report/months.csv?{query}").get_data(as_text=True)
    assert "октябрь 2026" in months and months.splitlines()[-1].startswith("Итого;")
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign_report.export")).all()
    assert len(entries) == 2


def test_who_may_see_and_export_the_report(session: Session, client: FlaskClient, app: Flask) -> None:
    for role, allowed in ((Role.ADMIN, True), (Role.MARKETER, True), (Role.ACCOUNT_MANAGER, False)):
        other = app.test_client()
        make_staff(session, role)
        session.commit()
        assert crm_login(other, f"{role}@mostik.local").status_code == 302
        for path in ("/crm/campaigns/report", "/crm/campaigns/report/months.csv"):
            assert other.get(path).status_code == (200 if allowed else 403), (role, path)
    assert client.get("/crm/campaigns/report").status_code == 302  # anonymous: to the sign-in page


def test_the_report_reads_in_a_fixed_number_of_statements_whatever_the_number_of_campaigns(session: Session) -> None:
    def statements(scope: Scope) -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
            seen.append(statement)

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            campaign_overview(session, START, END, scope)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    _data_set(session)
    few = {scope: statements(scope) for scope in Scope}
    for n in range(6):
        _campaign(session, f"Ещё одна рассылка {n}", datetime(2026, 9, 1 + n, 7, tzinfo=UTC))
    session.commit()
    assert {scope: statements(scope) for scope in Scope} == few
    assert 6 <= few[Scope.ALL] <= 9 and few[Scope.MANUAL] <= 6

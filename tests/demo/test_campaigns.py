"""The demo's campaign history: sent campaigns with recipients and credited paid orders, so «Итоги рассылок» has
something to show; once only, and the figures are those of each campaign's own report."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign, CampaignRecipient
from crm.campaigns.overview import Scope, campaign_overview
from crm.campaigns.queries import campaign_report
from demo.campaigns import HISTORY
from storefront.db import utcnow
from storefront.moscow import to_moscow
from storefront.order.models import Order
from tests.support import factories


def test_the_demo_campaign_history_is_added_once_and_agrees_with_each_report(
    runner: FlaskCliRunner, session: Session
) -> None:
    refused = runner.invoke(args=["crm", "seed-demo-campaigns"])
    assert refused.exit_code == 1 and "seed-demo-buyers" in refused.output
    now = utcnow()
    for n in range(24):
        buyer = factories.create_recipient(session, f"demo{n}@example.ru")
        for days in range(5, 360, 12):
            order = factories.paid_order(session, buyer.id, "1500.00")
            order.created_at = now - timedelta(days=days, hours=n % 7)
    session.commit()

    result = runner.invoke(args=["crm", "seed-demo-campaigns", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Демо-рассылки добавлены: отправленных рассылок — 9" in result.output
    credited = session.scalar(select(func.count()).select_from(Order).where(Order.campaign_id.is_not(None)))
    assert credited and credited > 10
    today = to_moscow(now).date()
    overview = campaign_overview(session, today - timedelta(days=365), today, Scope.MANUAL)
    assert len(overview.campaigns) == len(HISTORY)
    for line in overview.campaigns:
        report = campaign_report(session, session.get(Campaign, line.campaign_id))
        assert (line.figures.delivered, line.figures.orders, line.figures.revenue) == (
            report.delivered,
            report.orders,
            report.revenue,
        )
        assert line.figures.delivered > 0 and line.figures.opened > 0
    assert overview.campaign_total.orders == credited and overview.month_total.delivered > 0

    rows = session.scalar(select(func.count()).select_from(CampaignRecipient))
    again = runner.invoke(args=["crm", "seed-demo-campaigns", "--if-empty"])
    assert again.exit_code == 0 and "не добавлены" in again.output
    assert runner.invoke(args=["crm", "seed-demo-campaigns"]).exit_code == 1
    assert session.scalar(select(func.count()).select_from(CampaignRecipient)) == rows

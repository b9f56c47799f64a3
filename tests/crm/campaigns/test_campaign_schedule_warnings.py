"""A time chosen inside quiet hours or on a public holiday (Moscow time) is not scheduled until the marketer ticks
«Всё равно запланировать» (issue 18); an ordinary working afternoon is scheduled at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign, CampaignStatus
from crm.campaigns.sending import schedule_concerns
from tests.support import factories
from tests.support.factories import make_staff
from tests.support.web import crm_csrf, crm_login


def _campaign(session: Session, client: FlaskClient) -> Campaign:
    make_staff(session, "marketer")
    campaign = factories.create_campaign(session)
    session.commit()
    assert crm_login(client, "marketer@mostik.local").status_code == 302
    return campaign


def _schedule(client: FlaskClient, campaign: Campaign, send_at: str, **extra: str):
    csrf = crm_csrf(client, f"/crm/campaigns/{campaign.id}")
    data = {"csrf_token": csrf, "when": "later", "send_at": send_at, **extra}
    return client.post(f"/crm/campaigns/{campaign.id}/schedule", data=data)


@pytest.mark.parametrize(
    ("send_at", "warning"),
    [
        ("2030-03-12T04:53", "12.03.2030 04:53 по Москве — в тихие часы (с 21:00 до 09:00): письмо придёт ночью."),
        ("2030-03-12T21:00", "в тихие часы"),
        ("2030-06-12T12:00", "12.06.2030 — праздничный день по производственному календарю (День России)."),
        ("2030-01-03T10:00", "праздничный день"),
    ],
)
def test_a_quiet_or_holiday_time_needs_a_confirmation(
    session: Session, client: FlaskClient, send_at: str, warning: str
) -> None:
    campaign = _campaign(session, client)
    warned = _schedule(client, campaign, send_at)
    page = warned.get_data(as_text=True)
    assert warned.status_code == 400 and warning in page
    assert "Всё равно запланировать" in page and "Ничего не запланировано." in page
    session.expire_all()
    assert campaign.status == CampaignStatus.DRAFT and campaign.scheduled_at is None
    confirmed = _schedule(client, campaign, send_at, confirm="y")
    assert confirmed.status_code == 303
    session.expire_all()
    assert campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_at is not None


def test_a_working_afternoon_is_scheduled_without_a_question(session: Session, client: FlaskClient) -> None:
    campaign = _campaign(session, client)
    assert _schedule(client, campaign, "2030-03-12T14:00").status_code == 303
    session.expire_all()
    assert campaign.scheduled_at == datetime(2030, 3, 12, 11, 0, tzinfo=UTC)


def test_the_concerns_are_read_in_moscow_time(app: Flask) -> None:
    settings = factories.sender_settings(app)
    # 20:30 UTC on 11 June is 23:30 in Moscow (quiet), 21:30 UTC is already Russia Day in Moscow.
    assert schedule_concerns(datetime(2030, 6, 11, 20, 30, tzinfo=UTC), settings).quiet
    assert schedule_concerns(datetime(2030, 6, 11, 20, 30, tzinfo=UTC), settings).holiday is None
    assert schedule_concerns(datetime(2030, 6, 11, 21, 30, tzinfo=UTC), settings).holiday == "День России"
    assert not schedule_concerns(datetime(2030, 3, 12, 11, 0, tzinfo=UTC), settings)

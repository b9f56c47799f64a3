"""Campaigns may hand out a code made under «Промокоды» (issue 18): only usable ones are offered, the code's own
discount is the campaign's, no new code is made, and a code switched off later stops the schedule."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign, PromoMode
from crm.campaigns.sending import send_due
from storefront.db import utcnow
from storefront.promo.models import PromoCode, PromoKind
from tests.support import factories
from tests.support.factories import make_staff
from tests.support.web import crm_csrf, crm_login


def _code(session: Session, code: str, **fields: object) -> PromoCode:
    defaults: dict[str, object] = {"kind": PromoKind.PERCENT, "percent_bp": 1500, "used_count": 0, "is_active": True}
    promo = PromoCode(code=code, **{**defaults, **fields})
    session.add(promo)
    session.flush()
    return promo


def _post(client: FlaskClient, segment_id: int, **fields: str):
    csrf = crm_csrf(client, "/crm/campaigns/new")
    data = {"csrf_token": csrf, "name": "Зима", "segment_id": str(segment_id), "subject": "Скидка",
            "body_mode": "html", "body_html": "<p>Код {{ promo_code }}</p>", "body_text": "Код {{ promo_code }}",
            "promo_mode": "existing", "promo_percent": "0", "promo_valid_days": "14", "control_percent": "0",
            **fields}  # fmt: skip
    return client.post("/crm/campaigns/new", data=data)


def test_a_campaign_hands_out_an_existing_active_code(
    app: Flask, session: Session, client: FlaskClient, mailbox
) -> None:
    make_staff(session, "marketer")
    _code(session, "WINTER15")
    _code(session, "OFFCODE", is_active=False)
    _code(session, "ENDED", ends_at=utcnow() - timedelta(days=1))
    _code(session, "USEDUP", usage_limit=3, used_count=3)
    _code(session, "MKCAMPAIGN", campaign_id=999)  # issued by a campaign, not under «Промокоды»
    _code(session, "FIX500", kind=PromoKind.FIXED, percent_bp=0, fixed_amount=500)
    segment = factories.create_segment(session)
    factories.create_recipient(session, "anna@example.ru", "Анна Смирнова")
    session.commit()
    assert crm_login(client, "marketer@mostik.local").status_code == 302

    form = client.get("/crm/campaigns/new").get_data(as_text=True)
    assert "Существующий код из «Промокоды»" in form
    assert "WINTER15 — 15\xa0%" in form and "FIX500 — 500,00\xa0₽" in form
    for hidden in ("OFFCODE", "ENDED", "USEDUP", "MKCAMPAIGN"):
        assert hidden not in form

    refused = _post(client, segment.id)
    assert refused.status_code == 400 and "Выберите промокод." in refused.get_data(as_text=True)
    refused = _post(client, segment.id, existing_promo="OFFCODE")
    assert refused.status_code == 400
    assert "Промокод OFFCODE выключен, закончился или исчерпан" in refused.get_data(as_text=True)
    assert session.scalars(select(Campaign)).all() == []

    assert _post(client, segment.id, existing_promo="WINTER15").status_code == 302
    campaign = session.scalars(select(Campaign)).one()
    assert (campaign.promo_mode, campaign.promo_code, campaign.promo_percent_bp) == (PromoMode.SHARED, "WINTER15", 1500)
    edit = client.get(f"/crm/campaigns/{campaign.id}/edit").get_data(as_text=True)
    selected = re.findall(r'<option selected value="([^"]*)"', edit)
    assert "existing" in selected and "WINTER15" in selected, selected

    csrf = crm_csrf(client, f"/crm/campaigns/{campaign.id}")
    scheduled = client.post(f"/crm/campaigns/{campaign.id}/schedule", data={"csrf_token": csrf, "when": "now"})
    assert scheduled.status_code == 303
    with app.app_context():
        assert send_due(session, factories.sender_settings(app, cap_messages=100)).sent == 1
    assert "Код WINTER15" in mailbox.messages[-1].get_body(("plain",)).get_content()
    assert session.scalar(select(func.count(PromoCode.id))) == 6  # no new code was made


def test_a_code_switched_off_after_saving_stops_the_schedule(session: Session, client: FlaskClient) -> None:
    make_staff(session, "marketer")
    promo = _code(session, "SPRING10")
    segment = factories.create_segment(session)
    session.commit()
    assert crm_login(client, "marketer@mostik.local").status_code == 302
    assert _post(client, segment.id, existing_promo="SPRING10").status_code == 302
    campaign = session.scalars(select(Campaign)).one()
    promo.is_active = False
    session.commit()
    csrf = crm_csrf(client, f"/crm/campaigns/{campaign.id}")
    refused = client.post(f"/crm/campaigns/{campaign.id}/schedule", data={"csrf_token": csrf, "when": "now"})
    assert refused.status_code == 400 and "Промокод SPRING10 выключен" in refused.get_data(as_text=True)
    session.expire_all()
    assert campaign.status == "draft" and campaign.scheduled_at is None

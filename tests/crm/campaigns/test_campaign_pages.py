"""The marketer's pages: create (templates checked at save time), preview, test send, schedule in Moscow time,
report; attribution of orders by promo code and by click."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.campaigns.models import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from crm.campaigns.sending import send_due
from crm.campaigns.services import schedule_campaign
from crm.campaigns.tokens import make_click_token
from storefront.db import utcnow
from storefront.moscow import to_moscow
from storefront.order.attribution import attributed_campaign
from storefront.workdays import add_working_days
from tests.support import factories
from tests.support.factories import paid_order
from tests.support.web import crm_csrf, crm_sign_in_as


def _form(csrf: str, segment_id: int, **overrides: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "name": "Зимняя обувь",
        "segment_id": str(segment_id),
        "subject": "{{ buyer.first_name }}, зима близко",
        "body_html": factories.BODY_HTML,
        "body_text": factories.BODY_TEXT,
        "promo_mode": "none",
        "promo_percent": "0",
        "promo_valid_days": "14",
        "control_percent": "10",
        **overrides,
    }


def test_a_marketer_creates_a_campaign_and_an_unsafe_template_is_refused_in_russian(
    session: Session, client: FlaskClient
) -> None:
    crm_sign_in_as(session, client)
    segment = factories.create_segment(session)
    session.commit()
    csrf = crm_csrf(client, "/crm/campaigns/new")
    refused = client.post("/crm/campaigns/new", data=_form(csrf, segment.id, body_html="{{ buyer.__class__ }}"))
    assert refused.status_code == 400
    assert "такое выражение в шаблоне рассылки запрещено" in refused.get_data(as_text=True)
    refused = client.post("/crm/campaigns/new", data=_form(csrf, segment.id, body_text="{{ config.SECRET_KEY }}"))
    assert refused.status_code == 400 and "«config» недоступно" in refused.get_data(as_text=True)
    assert session.scalars(select(Campaign)).all() == []
    created = client.post("/crm/campaigns/new", data=_form(csrf, segment.id))
    assert created.status_code == 302
    campaign = session.scalars(select(Campaign)).one()
    assert (campaign.slug, campaign.control_percent, campaign.status) == ("zimniaia-obuv", 10, CampaignStatus.DRAFT)
    page = client.get(f"/crm/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Черновик" in page and "Отчёт" in page


def test_preview_for_a_chosen_buyer_and_a_test_send_only_to_staff(
    app: Flask, session: Session, client: FlaskClient, mailbox
) -> None:
    crm_sign_in_as(session, client)
    buyer = factories.create_recipient(session, "anna@example.ru", "Анна Смирнова", company_name="ООО «Берёза»")
    campaign = factories.create_campaign(session, body_html="<p>{{ buyer.first_name }} из {{ buyer.company }}</p>")
    session.commit()
    preview = client.get(f"/crm/campaigns/{campaign.id}/preview?buyer_id={buyer.id}")
    assert preview.status_code == 200
    assert "Анна из ООО «Берёза»" in preview.get_data(as_text=True)
    assert "anna@example.ru" not in preview.get_data(as_text=True)  # marketers never see contacts
    (looked,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.preview")).all()
    assert looked.target_id == str(buyer.id)
    for missing in ("999", "9" * 30):
        page = client.get(f"/crm/campaigns/{campaign.id}/preview?buyer_id={missing}")
        assert page.status_code == 200 and "Покупателя с таким id нет" in page.get_data(as_text=True)
    csrf = crm_csrf(client, f"/crm/campaigns/{campaign.id}")
    outsider = client.post(f"/crm/campaigns/{campaign.id}/test", data={"csrf_token": csrf, "email": "x@evil.example"})
    assert outsider.status_code == 400 and mailbox.messages == []
    sent = client.post(
        f"/crm/campaigns/{campaign.id}/test",
        data={"csrf_token": csrf, "email": "marketer@mostik.local", "buyer_id": str(buyer.id)},
    )
    assert sent.status_code == 303
    (message,) = mailbox.messages
    assert message["To"] == "marketer@mostik.local" and message["Subject"].startswith("[TEST] Анна")
    assert session.scalars(select(CampaignRecipient)).all() == []  # a test send is no recipient


def test_preview_and_test_send_links_do_not_go_through_our_redirect(
    app: Flask, session: Session, client: FlaskClient, mailbox
) -> None:
    """A preview's click token (recipient 0) redirected to whatever URL the body held, for ever: an open redirect
    on our domain for anyone who could write a draft. Previews and test sends now link straight to the target."""
    crm_sign_in_as(session, client)
    campaign = factories.create_campaign(session, body_html='<p><a href="https://evil.example/login">Войти</a></p>')
    session.commit()
    page = client.get(f"/crm/campaigns/{campaign.id}/preview").get_data(as_text=True)
    assert "/c/c/" not in page
    assert "https://evil.example/login?utm_source=mostik" in page.replace("&amp;", "&")
    csrf = crm_csrf(client, f"/crm/campaigns/{campaign.id}")
    client.post(f"/crm/campaigns/{campaign.id}/test", data={"csrf_token": csrf, "email": "marketer@mostik.local"})
    (message,) = mailbox.messages
    assert "/c/c/" not in message.get_body(("html",)).get_content()
    assert "/c/c/" not in message.get_body(("plain",)).get_content()
    # A preview token made before this change no longer redirects.
    old = make_click_token(app.config["SECRET_KEY"], 0, "https://evil.example/login")
    refused = client.get(f"/c/c/{old}")
    assert refused.status_code == 400 and "Location" not in refused.headers


def test_scheduling_in_moscow_time_and_the_job_sends_when_due(
    app: Flask, session: Session, client: FlaskClient, mailbox
) -> None:
    crm_sign_in_as(session, client)
    factories.create_recipient(session, "anna@example.ru")
    campaign = factories.create_campaign(session)
    session.commit()
    csrf = crm_csrf(client, f"/crm/campaigns/{campaign.id}")
    # Noon Moscow time on the next working day (quiet hours and holidays would ask for a confirmation first).
    local = datetime.combine(add_working_days(to_moscow(utcnow()).date() + timedelta(days=1), 0), time(12, 0))
    tomorrow = local.replace(tzinfo=UTC) - timedelta(hours=3)
    bad = client.post(f"/crm/campaigns/{campaign.id}/schedule", data={"csrf_token": csrf, "when": "later"})
    assert bad.status_code == 400 and "по Москве" in bad.get_data(as_text=True)
    past = client.post(
        f"/crm/campaigns/{campaign.id}/schedule",
        data={"csrf_token": csrf, "when": "later", "send_at": "2020-01-01T10:00"},
    )
    assert past.status_code == 400 and "уже прошло" in past.get_data(as_text=True)
    response = client.post(
        f"/crm/campaigns/{campaign.id}/schedule",
        data={"csrf_token": csrf, "when": "later", "send_at": local.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 303
    session.expire_all()
    stored = session.get(Campaign, campaign.id)
    assert stored.status == CampaignStatus.SCHEDULED
    assert stored.scheduled_at == tomorrow.replace(second=0, microsecond=0)
    # Reopened, the form keeps «at a time» and the Moscow time: submitting it again cannot send at once.
    page = client.get(f"/crm/campaigns/{campaign.id}").get_data(as_text=True)
    assert re.search(r'value="later"[^>]*checked|checked[^>]*value="later"', page)
    assert local.strftime("%Y-%m-%dT%H:%M") in page
    with app.app_context():
        send_due(session, factories.sender_settings(app))
        assert mailbox.messages == []
        send_due(session, factories.sender_settings(app), stored.scheduled_at + timedelta(seconds=1))
    assert len(mailbox.messages) == 1


def test_report_counts_orders_attributed_by_code_or_click_and_the_control_uplift(
    app: Flask, session: Session, client: FlaskClient, mailbox
) -> None:
    crm_sign_in_as(session, client)
    buyers = [factories.create_recipient(session, f"b{n}@example.ru") for n in range(20)]
    campaign = factories.create_campaign(session, control_percent=30)
    session.commit()
    schedule_campaign(session, campaign, utcnow(), utcnow())
    with app.app_context():
        send_due(session, factories.sender_settings(app))
    rows = session.scalars(select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign.id)).all()
    mailed = [r for r in rows if r.status == RecipientStatus.SENT]
    control = [r for r in rows if r.is_control]
    assert mailed and control
    first = paid_order(session, mailed[0].buyer_id, "1500.00")
    first.campaign_id = campaign.id
    second = paid_order(session, mailed[1].buyer_id, "500.00")
    second.campaign_id = campaign.id
    session.commit()
    page = client.get(f"/crm/campaigns/{campaign.id}").get_data(as_text=True)
    assert "2\xa0000,00\xa0₽" in page  # revenue
    assert "п. п." in page  # uplift shown once a control group exists
    assert len(buyers) == 20 and f"<td>{len(mailed)}</td>" in page


def test_attribution_prefers_the_promo_campaign_then_the_latest_click_within_30_days() -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert attributed_campaign(7, (3, now), None, now) == 7
    assert attributed_campaign(None, (3, now - timedelta(days=2)), None, now) == 3
    assert attributed_campaign(None, (3, now - timedelta(days=31)), None, now) is None
    assert attributed_campaign(None, None, None, now) is None

    class Account:
        last_campaign_id = 9
        last_campaign_click_at = now - timedelta(days=1)

    assert attributed_campaign(None, (3, now - timedelta(days=2)), Account(), now) == 9  # type: ignore[arg-type]
    assert attributed_campaign(None, (3, now - timedelta(hours=1)), Account(), now) == 3  # type: ignore[arg-type]


def _shipping_method(session: Session) -> int:
    from storefront.shipping.models import ShippingMethod

    return session.scalars(select(ShippingMethod.id).order_by(ShippingMethod.id)).first()


def test_an_order_after_a_campaign_click_or_with_its_code_is_credited_to_it(
    app: Flask, session: Session, client: FlaskClient, mailbox
) -> None:
    from storefront.order.models import Order
    from storefront.promo.models import PromoCode, PromoKind
    from tests.support.factories import create_shop
    from tests.support.web import add_to_cart, place

    product = create_shop(session)
    factories.create_recipient(session, "anna@example.ru")
    clicked = factories.create_campaign(session)
    session.commit()
    schedule_campaign(session, clicked, utcnow(), utcnow())
    with app.app_context():
        send_due(session, factories.sender_settings(app))
    link = mailbox.messages[0].get_body(("html",)).get_content().split('<a href="')[1].split('"')[0]
    assert client.get(urlsplit(link).path).status_code == 302
    add_to_cart(client, product.id, 2)
    assert place(client, _shipping_method(session)).status_code == 303
    # Another campaign's promo code wins over the click.
    coded = factories.create_campaign(session, name="С кодом")
    session.add(PromoCode(code="WINTER5", kind=PromoKind.PERCENT, percent_bp=500, campaign_id=coded.id))
    session.commit()
    add_to_cart(client, product.id, 2)
    assert place(client, _shipping_method(session), promo_code="WINTER5").status_code == 303
    orders = session.scalars(select(Order).order_by(Order.id)).all()
    assert [order.campaign_id for order in orders] == [clicked.id, coded.id]


def test_the_demo_campaign_seed_is_safe_to_repeat(app, runner, session: Session) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://mostik.example/"
    first = runner.invoke(args=["crm", "seed-campaigns"])
    second = runner.invoke(args=["crm", "seed-campaigns"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert "создана" in first.output and "уже есть" in second.output
    (campaign,) = session.scalars(select(Campaign)).all()
    assert campaign.segment is not None and campaign.status == CampaignStatus.DRAFT
    # Its links lead to this shop, wherever it is served.
    assert 'href="https://mostik.example/"' in campaign.body_html and "https://mostik.example/\n" in campaign.body_text
    assert "127.0.0.1" not in campaign.body_html + campaign.body_text

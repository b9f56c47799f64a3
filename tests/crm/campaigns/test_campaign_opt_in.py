"""Double opt-in in the CRM: campaigns go only to buyers whose marketing consent is confirmed from the address, and
the CRM's recipient counts (the «marketing consent» segment field, a campaign's recipients) say the same. Someone
registering with another person's address gives that address the confirmation e-mail and no campaign mail."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.campaigns.audience import consenting_buyer_ids
from crm.campaigns.models import CampaignRecipient
from crm.campaigns.sending import send_due
from crm.campaigns.services import schedule_campaign
from crm.segments.compiler import compile_segment
from storefront.account.models import Buyer
from storefront.db import utcnow
from tests.support import factories
from tests.support.web import register

CONSENTING = {"op": "and", "conditions": [{"field": "marketing_consent", "operator": "eq", "value": True}]}


def _campaign_mail(mailbox) -> list[str]:
    return [m["To"] for m in mailbox.messages if "подписку" not in m["Subject"]]


def test_only_confirmed_consents_receive_a_campaign_and_are_counted(
    app: Flask, session: Session, client: FlaskClient, mailbox
) -> None:
    anna = factories.create_recipient(session, "anna@example.ru", "Анна Смирнова")
    boris = factories.create_recipient(session, "boris@example.ru", "Борис Иванов", confirmed=False)
    session.commit()
    # Someone else registers with Vera's address and ticks marketing: Vera only gets the link she never opens.
    assert register(client, email="vera@example.ru", name="Не Вера").status_code == 302
    session.commit()
    vera = session.scalars(select(Buyer).where(Buyer.email == "vera@example.ru")).one()
    assert [m["To"] for m in mailbox.messages] == ["vera@example.ru"]  # the confirmation e-mail alone

    everyone = [anna.id, boris.id, vera.id]
    assert consenting_buyer_ids(session, everyone) == {anna.id}
    assert set(session.scalars(compile_segment(CONSENTING))) == {anna.id}

    campaign = factories.create_campaign(session)
    session.commit()
    schedule_campaign(session, campaign, utcnow(), utcnow())
    with app.app_context():
        result = send_due(session, factories.sender_settings(app, cap_messages=100))

    assert result.sent == 1
    assert _campaign_mail(mailbox) == ["anna@example.ru"]
    recipients = session.scalar(
        select(func.count(CampaignRecipient.id)).where(CampaignRecipient.campaign_id == campaign.id)
    )
    assert recipients == 1

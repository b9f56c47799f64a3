"""``flask crm seed-campaigns``: the demo's segment and draft campaign (safe to repeat)."""

from __future__ import annotations

import click
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from crm.campaigns.models import Campaign
from crm.campaigns.services import CampaignData, save_campaign
from crm.cli import crm_group
from crm.segments.models import Segment
from storefront.extensions import db

# ``{shop}``: the app's PUBLIC_BASE_URL, so the demo's links lead to wherever this shop is served.
DEMO_HTML = (
    "<p>Здравствуйте, {{ buyer.first_name }}!</p>"
    "<p>Новые поступления от фабрик Гуанчжоу уже в каталоге. "
    '<a href="{shop}/">Смотреть новинки</a></p>'
    "{% if promo_code %}<p>Ваш промокод на скидку: <strong>{{ promo_code }}</strong></p>{% endif %}"
)
DEMO_TEXT = (
    "Здравствуйте, {{ buyer.first_name }}!\n\nНовые поступления уже в каталоге: {shop}/\n"
    "{% if promo_code %}Ваш промокод: {{ promo_code }}\n{% endif %}"
)


@crm_group.command("seed-campaigns")
def seed_campaigns_command() -> None:
    """Add a «Все покупатели» segment and a draft campaign when there are none."""
    session = db.session()
    if not session.scalar(select(func.count()).select_from(Segment)):
        session.add(Segment(name="Все покупатели", definition={"op": "and", "conditions": []}))
        session.commit()
    if session.scalar(select(func.count()).select_from(Campaign).where(Campaign.trigger.is_(None))):
        click.echo(_("Demo campaign: already there."))
        return
    segment_id = session.scalar(select(Segment.id).order_by(Segment.id))
    shop = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    html, text = (template.replace("{shop}", shop) for template in (DEMO_HTML, DEMO_TEXT))
    data = CampaignData("Новинки недели", segment_id, "{{ buyer.first_name }}, новинки недели", html, text)
    save_campaign(session, None, data, None)
    session.commit()
    click.echo(_("Demo campaign: created."))

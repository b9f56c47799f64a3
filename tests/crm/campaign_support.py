"""Helpers for campaign tests: consenting buyers, a campaign on an all-buyers segment, sender settings."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from crm.campaigns.models import Campaign
from crm.campaigns.sender_settings import SenderSettings
from crm.campaigns.services import CampaignData, save_campaign
from crm.segments.models import Segment
from storefront.account.models import Buyer, Consent, ConsentKind
from storefront.db import utcnow

BODY_HTML = (
    "<p>Здравствуйте, {{ buyer.first_name }}!</p>"
    '<p>Новая коллекция: <a href="https://shop.example.ru/catalog/obuv?sort=new">смотреть</a>.</p>'
    "<p>Ваш промокод: {{ promo_code }}</p>"
)
BODY_TEXT = "Здравствуйте, {{ buyer.first_name }}!\nНовая коллекция: https://shop.example.ru/catalog/obuv?sort=new\n"


def buyer(session: Session, email: str, name: str = "Анна Смирнова", marketing: bool = True, **fields: Any) -> Buyer:
    """A buyer (no password: tests never sign in as them) with or without a marketing consent."""
    created = Buyer(email=email, name=name, **fields)
    session.add(created)
    session.flush()
    if marketing:
        session.add(
            Consent(
                buyer_id=created.id,
                email=email,
                kind=ConsentKind.MARKETING,
                text_version="mk-2026-11",
                granted_at=utcnow(),
                source_page="/account/register",
            )
        )
    session.commit()
    return created


def segment(session: Session, name: str = "Все покупатели") -> Segment:
    created = Segment(name=name, definition={"op": "and", "conditions": []})
    session.add(created)
    session.commit()
    return created


def campaign(session: Session, **overrides: Any) -> Campaign:
    seg = overrides.pop("segment", None) or segment(session)
    fields: dict[str, Any] = {
        "name": "Осенняя распродажа",
        "segment_id": seg.id,
        "subject": "{{ buyer.first_name }}, скидки на обувь",
        "body_html": BODY_HTML,
        "body_text": BODY_TEXT,
        **overrides,
    }
    return save_campaign(session, None, CampaignData(**fields), None)


def settings(app: Flask, **overrides: Any) -> SenderSettings:
    with app.app_context():
        base = SenderSettings.from_config(app.config)
    return dataclasses.replace(base, rate_per_second=0, **overrides)

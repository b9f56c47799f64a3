"""The periodic jobs of campaigns (run by ``flask --app wsgi run-due``, the demo's in-process runner and
Celery beat): queue trigger recipients, then send one batch. They read the app config for the SMTP and
link settings, so they run inside an app context."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from crm.campaigns.sender_settings import SenderSettings
from crm.campaigns.sending import send_due
from crm.campaigns.triggers import queue_triggers
from storefront.jobs import periodic


def sender_settings() -> SenderSettings:
    return SenderSettings.from_config(current_app.config)


@periodic("crm-campaign-triggers", every=timedelta(minutes=5))
def queue_trigger_recipients(session: Session, now: datetime) -> str:
    return f"queued {queue_triggers(session, sender_settings(), now)}"


@periodic("crm-send-campaigns", every=timedelta(minutes=1))
def send_campaigns(session: Session, now: datetime) -> str:
    return send_due(session, sender_settings(), now)

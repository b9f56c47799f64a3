"""The periodic jobs of campaigns (run by ``flask --app wsgi run-due``, the demo's in-process runner and
Celery beat): queue trigger recipients, choose A/B winners, then send one batch. The runner passes them the sender
settings, read from the app config of the app they run for (``sender_settings``) at each run."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from crm.campaigns.ab_test import decide_due_tests
from crm.campaigns.sender_settings import SenderSettings
from crm.campaigns.sending import BatchResult, send_due
from crm.campaigns.triggers import queue_triggers
from storefront.jobs import periodic
from storefront.telegram.client import EXTENSION as TELEGRAM_BOT
from storefront.telegram.client import BotClient


def sender_settings(app: Flask) -> SenderSettings:
    """The settings the campaign jobs and tasks need, from ``app``'s config (the jobs' provider)."""
    return SenderSettings.from_config(app.config)


@periodic("crm-campaign-triggers", every=timedelta(minutes=5), needs={"settings": sender_settings})
def queue_trigger_recipients(session: Session, now: datetime, *, settings: SenderSettings) -> str:
    return f"queued {queue_triggers(session, settings, now)}"


@periodic("crm-campaign-ab-winner", every=timedelta(minutes=5))
def choose_ab_winners(session: Session, now: datetime) -> str:
    """A/B tests whose wait is over: the winner recorded once, the rest released to the sender."""
    decided = decide_due_tests(session, now)
    return "decided " + (", ".join(f"{campaign_id}: {winner}" for campaign_id, winner in decided) or "none")


def telegram_bot(app: Flask) -> BotClient | None:
    """The bot when Telegram is configured (``TELEGRAM_BOT_TOKEN``); Telegram campaigns wait without it."""
    bot: BotClient | None = app.extensions.get(TELEGRAM_BOT)
    return bot


@periodic("crm-send-campaigns", every=timedelta(minutes=1), needs={"settings": sender_settings, "bot": telegram_bot})
def send_campaigns(session: Session, now: datetime, *, settings: SenderSettings, bot: BotClient | None) -> BatchResult:
    return send_due(session, settings, now, bot=bot)

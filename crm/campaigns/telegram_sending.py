"""Sending a Telegram campaign: the same claims, leases, frequency cap and per-recipient marks as e-mail
(``sending.py``), through the bot instead of SMTP.

A chat that has blocked the bot (403) or is gone («chat not found») is unlinked and its consent withdrawn; the row
is skipped, not retried. When the Bot API cannot be reached or asks us to wait (429, 5xx), the run stops and
releases its claim: nothing is lost and nothing goes twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.campaigns.compose import CampaignContent, Person, compose_telegram, footer_texts
from crm.campaigns.models import Campaign, CampaignRecipient, RecipientStatus
from crm.campaigns.rendering import TemplateRefused
from crm.campaigns.sender_settings import SenderSettings
from crm.campaigns.sending import BatchResult, Throttle, _finish, _give_up_stale, _release, claim_batch, recent_sends
from storefront.account.models import Buyer, Tier
from storefront.db import utcnow
from storefront.ops.metrics import CAMPAIGN_MESSAGES
from storefront.telegram.client import BotClient, TelegramBlocked, TelegramUnavailable
from storefront.telegram.services import telegram_consenting, unlink_chat

logger = logging.getLogger(__name__)
R = RecipientStatus
CR = CampaignRecipient


def send_telegram_batch(
    session: Session,
    campaign: Campaign,
    settings: SenderSettings,
    now: datetime,
    limit: int,
    bot: BotClient,
    throttle: Throttle,
) -> BatchResult:
    """Claim and send up to ``limit`` messages of one Telegram campaign. ``TelegramUnavailable`` propagates after
    the claim is released."""
    result = BatchResult()
    _give_up_stale(session, campaign.id, now, settings)
    token = claim_batch(session, campaign.id, now, limit, settings)
    rows = session.execute(
        select(CR.id, CR.chat_id, CR.promo_code, Buyer.id.label("buyer_id"), Buyer.name, Buyer.company_name,
               Tier.name.label("tier_name"))
        .join(Buyer, Buyer.id == CR.buyer_id)
        .outerjoin(Tier, Tier.id == Buyer.tier_id)
        .where(CR.claim_token == token)
        .order_by(CR.id)
    ).all()  # fmt: skip
    if not rows:
        return result
    content = CampaignContent.of(campaign)
    buyer_ids = [row.buyer_id for row in rows]
    # The chat as linked now: a buyer who unlinked or moved to another chat since the start is not written to.
    chats = telegram_consenting(session, buyer_ids)
    counts = recent_sends(session, buyer_ids, now - timedelta(days=settings.cap_days))
    footer = footer_texts(content)
    for recipient in rows:
        chat_id = chats.get(recipient.buyer_id)
        if chat_id is None or chat_id != recipient.chat_id:
            _finish(session, token, recipient.id, status=R.SKIPPED.value)
            result.skipped += 1
            CAMPAIGN_MESSAGES.labels("skipped").inc()
            continue
        if counts.get(recipient.buyer_id, 0) >= settings.cap_messages:
            _finish(session, token, recipient.id, status=R.CAPPED.value)
            result.capped += 1
            CAMPAIGN_MESSAGES.labels("capped").inc()
            continue
        person = Person(recipient.name, recipient.company_name or "", recipient.tier_name or "")
        try:
            text = compose_telegram(content, settings, recipient.id, person, recipient.promo_code, footer)
        except TemplateRefused as refused:
            _finish(session, token, recipient.id, status=R.FAILED.value, last_error=str(refused)[:300])
            result.failed += 1
            CAMPAIGN_MESSAGES.labels("failed").inc()
            continue
        throttle.wait()
        try:
            bot.send_text(chat_id, text)
        except TelegramBlocked as blocked:
            unlink_chat(session, chat_id, now, "blocked")
            _finish(session, token, recipient.id, status=R.SKIPPED.value, last_error=f"telegram: {blocked}"[:300])
            result.skipped += 1
            CAMPAIGN_MESSAGES.labels("skipped").inc()
            continue
        except TelegramUnavailable:
            _release(session, token)  # nothing went out: this row and the rest wait for the next run
            raise
        _finish(session, token, recipient.id, status=R.SENT.value, sent_at=utcnow())
        counts[recipient.buyer_id] = counts.get(recipient.buyer_id, 0) + 1
        result.sent += 1
        CAMPAIGN_MESSAGES.labels("sent").inc()
    return result

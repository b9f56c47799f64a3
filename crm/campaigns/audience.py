"""Who receives a campaign: the marketing-consent condition, the recipients materialised from the segment in one
INSERT … SELECT with the deterministic control group, and the campaign's promo codes (unique or shared)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, exists, false, insert, literal, select, true, update
from sqlalchemy.orm import Session

from crm.campaigns.ab_test import assign_variants
from crm.campaigns.models import Campaign, CampaignRecipient, CampaignStatus, Channel, PromoMode, RecipientStatus
from crm.campaigns.services import transition
from crm.segments.compiler import compile_segment
from storefront.account.models import Buyer, Consent, ConsentKind
from storefront.account.queries import marketing_consent_in_force
from storefront.db import UTCDateTime, rowcount
from storefront.promo.models import PromoCode, PromoKind
from storefront.promo.services import PromoTemplate, issue_unique_codes
from storefront.telegram.models import TelegramLink

logger = logging.getLogger(__name__)
R = RecipientStatus
CR = CampaignRecipient


# --- who may receive marketing mail --------------------------------------------------------------------------


def has_marketing_consent() -> Any:
    """SQL condition on ``Buyer``: a marketing consent granted and not withdrawn (an unsubscribe withdraws it)."""
    return exists().where(Consent.buyer_id == Buyer.id, marketing_consent_in_force())


def has_telegram_consent() -> Any:
    """SQL condition on ``Buyer``: the Telegram consent given (by /start) and not withdrawn (/stop, blocked)."""
    return exists().where(
        Consent.buyer_id == Buyer.id, Consent.kind == ConsentKind.TELEGRAM, Consent.withdrawn_at.is_(None)
    )


def consenting_buyer_ids(session: Session, buyer_ids: Iterable[int]) -> set[int]:
    ids = list(buyer_ids)
    if not ids:
        return set()
    rows = session.scalars(
        select(Buyer.id).where(Buyer.id.in_(ids), Buyer.is_active.is_(True), has_marketing_consent())
    )
    return set(rows)


# --- starting a campaign -------------------------------------------------------------------------------------


def control_condition(campaign_id: int, percent: int) -> Any:
    """Deterministic hold-out: the same buyer falls in the same campaign's control group on every run."""
    return ((Buyer.id * 7919 + campaign_id * 104729) % 100) < percent


def materialise_recipients(session: Session, campaign: Campaign, now: datetime) -> int:
    """One INSERT … SELECT of the segment's consenting buyers (control group marked). Flushes only."""
    assert campaign.segment is not None
    segment_ids = compile_segment(campaign.segment.definition)
    control = control_condition(campaign.id, campaign.control_percent)
    already = exists().where(CR.campaign_id == campaign.id, CR.buyer_id == Buyer.id, CR.occasion == "")
    query = select(
        literal(campaign.id),
        Buyer.id,
        literal(""),
        Buyer.email,
        case((control, true()), else_=false()),
        case((control, literal(R.CONTROL.value)), else_=literal(R.PENDING.value)),
        literal(0),
        literal(0),
        literal(0),
        literal(now, UTCDateTime()),
    ).where(Buyer.id.in_(segment_ids), Buyer.is_active.is_(True), ~already)
    columns = ["campaign_id", "buyer_id", "occasion", "email", "is_control", "status"]
    columns += ["attempts", "open_count", "click_count", "created_at"]
    if campaign.channel == Channel.TELEGRAM:
        # The linked chat and the Telegram consent, not the e-mail one: each channel is consented to on its own.
        query = query.add_columns(TelegramLink.chat_id).join(TelegramLink, TelegramLink.buyer_id == Buyer.id)
        query = query.where(TelegramLink.chat_id.is_not(None), has_telegram_consent())
        columns.append("chat_id")
    else:
        query = query.where(has_marketing_consent())
    result = session.execute(insert(CR).from_select(columns, query))
    return rowcount(result)


def assign_unique_codes(session: Session, campaign: Campaign, now: datetime) -> int:
    """One single-use code per recipient still to be mailed, issued by the promo area (``issue_unique_codes``).
    Flushes only."""
    rows = session.execute(
        select(CR.id).where(CR.campaign_id == campaign.id, CR.status == R.PENDING.value, CR.promo_code.is_(None))
    ).all()
    if not rows:
        return 0
    template = PromoTemplate(
        kind=PromoKind.PERCENT,
        percent_bp=campaign.promo_percent_bp,
        starts_at=now,
        ends_at=now + timedelta(days=campaign.promo_valid_days),
    )
    codes = issue_unique_codes(session, template, len(rows), campaign_id=campaign.id)
    session.execute(update(CR), [{"id": row.id, "promo_code": code} for row, code in zip(rows, codes, strict=True)])
    return len(rows)


def ensure_shared_code(session: Session, campaign: Campaign, now: datetime) -> None:
    """Create the campaign's shared promo code once (unknown code → created; existing → left as it is)."""
    if campaign.promo_mode != PromoMode.SHARED or not campaign.promo_code:
        return
    if session.scalar(select(PromoCode.id).where(PromoCode.code == campaign.promo_code)) is not None:
        return
    session.add(
        PromoCode(
            code=campaign.promo_code,
            kind=PromoKind.PERCENT,
            percent_bp=campaign.promo_percent_bp,
            starts_at=now,
            ends_at=now + timedelta(days=campaign.promo_valid_days),
            campaign_id=campaign.id,
        )
    )


def start_due_campaigns(session: Session, now: datetime) -> list[int]:
    """scheduled → sending for every campaign whose time has come: materialise its recipients. Commits each."""
    due = session.scalars(
        select(Campaign.id).where(
            Campaign.status == CampaignStatus.SCHEDULED.value, Campaign.scheduled_at <= now, Campaign.trigger.is_(None)
        )
    ).all()
    started: list[int] = []
    for campaign_id in due:
        # The conditional UPDATE is the lock: a second runner gets 0 rows and moves on.
        if not transition(session, campaign_id, CampaignStatus.SENDING, started_at=now):
            session.rollback()
            continue
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        session.refresh(campaign)
        count = materialise_recipients(session, campaign, now)
        ensure_shared_code(session, campaign, now)
        if campaign.promo_mode == PromoMode.UNIQUE:
            assign_unique_codes(session, campaign, now)
        if campaign.ab_test and campaign.channel == Channel.EMAIL:
            assign_variants(session, campaign)  # after the codes: the held rest has its codes too
        session.commit()
        logger.info("campaign %s started: %s recipients", campaign_id, count)
        started.append(campaign_id)
    return started

"""Campaign use cases: save (templates validated in the sandbox), the state machine, schedule, pause, cancel.

Every status change is one conditional UPDATE from the states ``TRANSITIONS`` allows, so two staff members
(or a staff member and the sender) cannot move a campaign along two paths at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.campaigns.blocks import BlocksRefused, check_personal_fields, check_products, uses_promo, validate_blocks
from crm.campaigns.models import AbMetric, Campaign, CampaignStatus, CampaignTemplate, Channel, PromoMode
from crm.campaigns.rendering import validate_templates
from crm.promo.services import usable_promo
from crm.segments.models import Segment
from storefront.db import rowcount, utcnow
from storefront.errors import ShopError
from storefront.promo.models import PromoCode
from storefront.slugs import make_slug

S = CampaignStatus

#: The one place that says which campaign state may follow which.
TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    S.DRAFT: frozenset({S.SCHEDULED, S.CANCELED}),
    S.SCHEDULED: frozenset({S.DRAFT, S.SENDING, S.CANCELED}),
    S.SENDING: frozenset({S.PAUSED, S.SENT, S.CANCELED}),
    S.PAUSED: frozenset({S.SENDING, S.CANCELED}),
    S.SENT: frozenset(),
    S.CANCELED: frozenset(),
}

#: States in which the content may still be edited.
EDITABLE = frozenset({S.DRAFT, S.SCHEDULED})


class CampaignError(ShopError):
    """A refused campaign action; ``reason`` picks the Russian message in the view."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class InvalidTemplate(CampaignError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("template")
        self.errors = errors


@dataclass(frozen=True)
class CampaignData:
    name: str
    segment_id: int | None
    subject: str
    body_html: str
    body_text: str
    promo_mode: PromoMode = PromoMode.NONE
    promo_percent_bp: int = 0
    promo_valid_days: int = 14
    shared_code: str | None = None
    advertiser: str | None = None
    erid: str | None = None
    control_percent: int = 0
    channel: Channel = Channel.EMAIL
    #: The body is made of blocks (the editor's) rather than the expert's templates.
    use_blocks: bool = False
    #: A code made under «Промокоды» to hand out instead of a generated one (the promo mode becomes shared).
    existing_promo: str | None = None
    #: A new block body starts from these (a saved template's); an existing block body is kept.
    start_blocks: list[dict[str, Any]] | None = None
    #: A/B test of subjects (``ab_test.py``): variant B's subject, the test share (0: no test, else 10–50 %),
    #: what decides and after how many hours.
    subject_b: str | None = None
    ab_percent: int = 0
    ab_metric: AbMetric = AbMetric.OPENS
    ab_wait_hours: int = 4


#: The bounds of an A/B test (the form and ``save_campaign`` both hold to them).
AB_PERCENT_MIN, AB_PERCENT_MAX = 10, 50
AB_WAIT_MIN, AB_WAIT_MAX = 1, 168


def check_ab_test(data: CampaignData) -> None:
    """A test needs a B subject, a share of 10–50 %, a wait of 1–168 hours and e-mail (a Telegram message has no
    subject). Raises ``CampaignError``."""
    if not data.ab_percent:
        return
    if data.channel != Channel.EMAIL:
        raise CampaignError("ab_telegram")
    if not (data.subject_b or "").strip():
        raise CampaignError("ab_subject")
    if not AB_PERCENT_MIN <= data.ab_percent <= AB_PERCENT_MAX:
        raise CampaignError("ab_percent")
    if not AB_WAIT_MIN <= data.ab_wait_hours <= AB_WAIT_MAX:
        raise CampaignError("ab_wait")


def transition(session: Session, campaign_id: int, target: CampaignStatus, **values: object) -> bool:
    """Move the campaign to ``target`` if its current state allows it; one conditional UPDATE. Flushes only."""
    sources = [state.value for state, targets in TRANSITIONS.items() if target in targets]
    moved = rowcount(
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status.in_(sources))
            .values(status=target, updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
    )
    return moved == 1


def _unique_slug(session: Session, name: str, campaign_id: int | None) -> str:
    base = make_slug(name, max_length=100, fallback="campaign")
    slug, n = base, 1
    while True:
        owner = session.scalar(select(Campaign.id).where(Campaign.slug == slug))
        if owner is None or owner == campaign_id:
            return slug
        n += 1
        slug = f"{base}-{n}"


def save_campaign(session: Session, campaign: Campaign | None, data: CampaignData, staff_id: int | None) -> Campaign:
    """Create or edit a campaign after rendering its templates in the sandbox. Flushes; the caller commits."""
    if campaign is not None and campaign.status not in EDITABLE and campaign.trigger is None:
        raise CampaignError("not_editable")
    check_ab_test(data)
    errors = validate_templates(data.subject, data.body_html, data.body_text)
    if data.ab_percent and data.subject_b:
        subject_b_error = validate_templates(data.subject_b, "", "").get("subject")
        if subject_b_error:
            errors["subject_b"] = subject_b_error
    if errors:
        raise InvalidTemplate(errors)
    if data.segment_id is not None and session.get(Segment, data.segment_id) is None:
        raise CampaignError("segment")
    slug = _unique_slug(session, data.name, campaign.id if campaign is not None else None)
    if campaign is None:
        campaign = Campaign(created_by_id=staff_id, status=CampaignStatus.DRAFT)
        session.add(campaign)
    if campaign.trigger is None:
        campaign.slug = slug
    campaign.name = data.name
    campaign.segment_id = data.segment_id
    campaign.subject = data.subject
    campaign.body_html = data.body_html
    campaign.body_text = data.body_text
    if campaign.trigger is None:
        campaign.channel = data.channel
    campaign.promo_mode = data.promo_mode
    campaign.promo_percent_bp = data.promo_percent_bp if data.promo_mode != PromoMode.NONE else 0
    campaign.promo_valid_days = data.promo_valid_days
    shared = (data.shared_code or "").strip().upper() or None
    campaign.promo_code = shared if data.promo_mode == PromoMode.SHARED else None
    if data.existing_promo:
        campaign.promo_mode = PromoMode.SHARED
        campaign.promo_code = data.existing_promo.strip().upper()
    if campaign.promo_mode == PromoMode.SHARED and campaign.promo_code is None:
        campaign.promo_code = f"MK{secrets.token_hex(3).upper()}"
    promo = promo_area_code(session, campaign)
    if promo is not None:  # an existing code: it must still be usable; its own discount is the campaign's
        if usable_promo(session, promo.code, utcnow()) is None:
            raise CampaignError("promo_unusable", code=promo.code)
        campaign.promo_percent_bp = promo.percent_bp
    campaign.advertiser = (data.advertiser or "").strip() or None
    campaign.erid = (data.erid or "").strip() or None
    campaign.control_percent = data.control_percent
    testing = bool(data.ab_percent)
    campaign.subject_b = data.subject_b.strip() if testing and data.subject_b else None
    campaign.ab_percent = data.ab_percent if testing else 0
    campaign.ab_metric = data.ab_metric if testing else AbMetric.OPENS
    campaign.ab_wait_hours = data.ab_wait_hours if testing else 4
    if not data.use_blocks:
        campaign.body_blocks = None
    elif campaign.body_blocks is None:
        campaign.body_blocks = list(data.start_blocks or [])
    if uses_promo(campaign.body_blocks) and campaign.promo_mode == PromoMode.NONE:
        raise CampaignError("promo_block")
    session.flush()
    return campaign


def promo_area_code(session: Session, campaign: Campaign) -> PromoCode | None:
    """The code made under «Промокоды» that this campaign hands out, if its shared code is one."""
    if campaign.promo_mode != PromoMode.SHARED or not campaign.promo_code:
        return None
    return session.scalar(
        select(PromoCode).where(PromoCode.code == campaign.promo_code, PromoCode.campaign_id.is_(None))
    )


def save_blocks(session: Session, campaign: Campaign, raw: Any) -> list[dict[str, Any]]:
    """Replace the campaign's block body after the full check (types, links, sizes, products, names in the
    texts; a promo code block only with a campaign promo code). Raises ``BlocksRefused``; flushes."""
    if campaign.status not in EDITABLE or campaign.trigger is not None:
        raise CampaignError("not_editable")
    blocks = checked_blocks(session, raw)
    if uses_promo(blocks) and campaign.promo_mode == PromoMode.NONE:
        raise CampaignError("promo_block")
    campaign.body_blocks = blocks
    campaign.updated_at = utcnow()
    session.flush()
    return blocks


def checked_blocks(session: Session, raw: Any) -> list[dict[str, Any]]:
    blocks = validate_blocks(raw)
    check_products(session, blocks)
    check_personal_fields(blocks)
    return blocks


def save_template(session: Session, name: str, raw: Any, staff_id: int | None) -> CampaignTemplate:
    """Save a named block set (a template of the same name is replaced). Raises ``BlocksRefused``; flushes."""
    name = " ".join(name.split())[:200]
    if not name:
        raise BlocksRefused(_("Enter a name for the template."))
    blocks = checked_blocks(session, raw)
    template = session.scalar(select(CampaignTemplate).where(CampaignTemplate.name == name))
    if template is None:
        template = CampaignTemplate(name=name, created_by_id=staff_id, blocks=blocks)
        session.add(template)
    else:
        template.blocks = blocks
    session.flush()
    return template


def schedule_campaign(
    session: Session, campaign: Campaign, send_at: datetime, now: datetime, unconfirmed: object = None
) -> None:
    """Schedule for ``send_at`` (UTC; now or later). The periodic sender starts it when due. ``unconfirmed``: a
    warning (quiet hours, a holiday — ``sending.schedule_concerns``) the marketer has not confirmed: refused with
    ``CampaignError("confirm")`` after the other checks. Flushes; the caller commits (and rolls back on
    ``CampaignError``)."""
    if campaign.trigger is not None:
        raise CampaignError("trigger")
    if campaign.segment_id is None:
        raise CampaignError("no_segment")
    if send_at < now.replace(second=0, microsecond=0):
        raise CampaignError("past")
    promo = promo_area_code(session, campaign)
    if promo is not None and usable_promo(session, promo.code, now) is None:
        raise CampaignError("promo_unusable", code=promo.code)
    if unconfirmed:
        raise CampaignError("confirm")
    if campaign.status == CampaignStatus.SCHEDULED:
        session.execute(update(Campaign).where(Campaign.id == campaign.id).values(scheduled_at=send_at))
    elif not transition(session, campaign.id, CampaignStatus.SCHEDULED, scheduled_at=send_at):
        raise CampaignError("state")
    session.flush()


def change_campaign_status(session: Session, campaign: Campaign, target: CampaignStatus) -> None:
    """Pause, resume, cancel or unschedule (back to draft), as TRANSITIONS allows. Flushes; the caller commits (and
    rolls back on ``CampaignError``)."""
    if target not in (CampaignStatus.PAUSED, CampaignStatus.SENDING, CampaignStatus.CANCELED, CampaignStatus.DRAFT):
        raise CampaignError("state")
    if target == CampaignStatus.SENDING and campaign.status != CampaignStatus.PAUSED:
        raise CampaignError("state")  # only a resume: sending itself starts from the schedule
    extra: dict[str, object] = {"scheduled_at": None} if target == CampaignStatus.DRAFT else {}
    if not transition(session, campaign.id, target, **extra):
        raise CampaignError("state")
    session.refresh(campaign)

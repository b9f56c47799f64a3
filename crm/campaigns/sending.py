"""Sending: recipients materialised from the segment in one INSERT … SELECT, claimed before sending, marked after.

Exactly one message per recipient:
- ``crm_campaign_recipients`` has one row per (campaign, buyer, occasion) — the unique key refuses a second;
- a sender claims a batch with one conditional UPDATE (status pending → sending, a claim token and a lease);
  another sender cannot claim the same rows until the lease has run out;
- each row is marked sent, by its claim token, in its own commit right after the SMTP server accepted it.
A sender that dies mid-batch leaves its unsent rows claimed; after the lease the next run claims them again
and sends only those. (The one window left is a crash between the server's «250» and our commit: that
message may go twice. The lease default of 10 minutes is far longer than one send.)

A refused message (5xx/4xx for the recipient) is recorded on the row and retried later, at most
``max_attempts`` times; a lost connection aborts the batch like a crash.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import smtplib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import and_, case, exists, false, func, insert, literal, or_, select, true, update
from sqlalchemy.orm import Session

from crm.campaigns.links import add_utm, rewrite_html, rewrite_text
from crm.campaigns.models import Campaign, CampaignRecipient, CampaignStatus, PromoMode, RecipientStatus
from crm.campaigns.rendering import SAMPLE_CONTEXT, MessageContext, first_name, render
from crm.campaigns.services import transition
from crm.campaigns.tokens import make_click_token, make_open_token, make_unsubscribe_token
from crm.segments.compiler import compile_segment
from storefront.account.models import Buyer, Consent, ConsentKind, Tier
from storefront.db import UTCDateTime, rowcount, utcnow
from storefront.i18n import MOSCOW
from storefront.mail import MailConnection, MailSettings, build_message
from storefront.promo.models import PromoCode, PromoKind
from storefront.promo.services import PromoTemplate, issue_unique_codes

logger = logging.getLogger(__name__)
R = RecipientStatus
CR = CampaignRecipient


@dataclass(frozen=True)
class SenderSettings:
    mail: MailSettings
    secret_key: str
    base_url: str
    unsubscribe_mailto: str | None = None
    #: Messages per second over all campaigns (0: as fast as the SMTP server takes them).
    rate_per_second: float = 10.0
    batch_size: int = 200
    lease_seconds: int = 600
    max_attempts: int = 3
    retry_minutes: int = 10
    #: At most ``cap_messages`` marketing mails per buyer in ``cap_days`` days, across all campaigns.
    cap_messages: int = 2
    cap_days: int = 7
    #: Quiet hours in Moscow time for trigger mail: [start, end) hours, deferred to ``end``.
    quiet_start_hour: int = 21
    quiet_end_hour: int = 9

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SenderSettings:
        return cls(
            mail=MailSettings.from_config(config),
            secret_key=str(config["SECRET_KEY"]),
            base_url=str(config["PUBLIC_BASE_URL"]).rstrip("/"),
            unsubscribe_mailto=config.get("CAMPAIGN_UNSUBSCRIBE_MAILTO") or None,
            rate_per_second=float(config.get("CAMPAIGN_SEND_RATE", 10)),
            batch_size=int(config.get("CAMPAIGN_BATCH_SIZE", 200)),
            lease_seconds=int(config.get("CAMPAIGN_CLAIM_LEASE_SECONDS", 600)),
            max_attempts=int(config.get("CAMPAIGN_MAX_ATTEMPTS", 3)),
            retry_minutes=int(config.get("CAMPAIGN_RETRY_MINUTES", 10)),
            cap_messages=int(config.get("CAMPAIGN_FREQUENCY_CAP", 2)),
            cap_days=int(config.get("CAMPAIGN_FREQUENCY_DAYS", 7)),
            quiet_start_hour=int(config.get("CAMPAIGN_QUIET_START_HOUR", 21)),
            quiet_end_hour=int(config.get("CAMPAIGN_QUIET_END_HOUR", 9)),
        )


# --- who may receive marketing mail --------------------------------------------------------------------------


def has_marketing_consent() -> Any:
    """SQL condition on ``Buyer``: a marketing consent granted and not withdrawn (an unsubscribe withdraws it)."""
    return exists().where(
        Consent.buyer_id == Buyer.id, Consent.kind == ConsentKind.MARKETING.value, Consent.withdrawn_at.is_(None)
    )


def consenting_buyer_ids(session: Session, buyer_ids: Iterable[int]) -> set[int]:
    ids = list(buyer_ids)
    if not ids:
        return set()
    rows = session.scalars(
        select(Buyer.id).where(Buyer.id.in_(ids), Buyer.is_active.is_(True), has_marketing_consent())
    )
    return set(rows)


def recent_sends(session: Session, buyer_ids: Iterable[int], since: datetime) -> dict[int, int]:
    """Marketing mails sent to each buyer since ``since``, over every campaign (the frequency cap)."""
    ids = list(buyer_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(CR.buyer_id, func.count())
        .where(CR.buyer_id.in_(ids), CR.status == R.SENT.value, CR.sent_at >= since)
        .group_by(CR.buyer_id)
    )
    return {buyer_id: count for buyer_id, count in rows}


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
    ).where(Buyer.id.in_(segment_ids), Buyer.is_active.is_(True), has_marketing_consent(), ~already)
    columns = ["campaign_id", "buyer_id", "occasion", "email", "is_control", "status"]
    columns += ["attempts", "open_count", "click_count", "created_at"]
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
        session.commit()
        logger.info("campaign %s started: %s recipients", campaign_id, count)
        started.append(campaign_id)
    return started


# --- composing a message -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """The buyer fields a template may show, copied out of the ORM (a commit per message must not reload them)."""

    name: str
    company: str
    tier_name: str

    @classmethod
    def of(cls, buyer: Buyer) -> Person:
        return cls(buyer.name, buyer.company_name or "", buyer.tier.name if buyer.tier is not None else "")


@dataclass(frozen=True)
class CampaignContent:
    """What composing needs from a campaign, as plain values."""

    id: int
    slug: str
    subject: str
    body_html: str
    body_text: str
    promo_code: str | None
    advertiser: str | None
    erid: str | None

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignContent:
        return cls(
            campaign.id,
            campaign.slug,
            campaign.subject,
            campaign.body_html,
            campaign.body_text,
            campaign.promo_code,
            campaign.advertiser,
            campaign.erid,
        )


def context_for(person: Person | None, promo_code: str, unsubscribe_url: str) -> MessageContext:
    if person is None:
        return dataclasses.replace(SAMPLE_CONTEXT, unsubscribe_url=unsubscribe_url)
    return MessageContext(
        first_name=first_name(person.name),
        name=person.name,
        company=person.company,
        tier_name=person.tier_name,
        promo_code=promo_code,
        unsubscribe_url=unsubscribe_url,
    )


@dataclass
class ComposedMessage:
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FooterTexts:
    marking: str
    why: str
    unsubscribe: str


def footer_texts(campaign: CampaignContent) -> FooterTexts:
    """The Russian footer lines: ad marking (38-FZ art. 18.1) when set, why they get it, the unsubscribe label."""
    with force_locale("ru"):
        marking = ""
        if campaign.advertiser or campaign.erid:
            parts = [_("Advertisement.")]
            if campaign.advertiser:
                parts.append(_("Advertiser: %(advertiser)s.", advertiser=campaign.advertiser))
            if campaign.erid:
                parts.append(f"erid: {campaign.erid}")
            marking = " ".join(parts)
        return FooterTexts(
            marking,
            _("You receive this email because you agreed to receive offers from Mostik."),
            _("Unsubscribe"),
        )


def compose(
    campaign: CampaignContent,
    settings: SenderSettings,
    recipient_id: int,
    person: Person | None,
    promo_code: str | None,
    footer: FooterTexts | None = None,
) -> ComposedMessage:
    """Render one recipient's message: sandboxed templates, UTM + click-tracked links, footer, pixel, headers.

    ``recipient_id`` 0 is a preview or a test send: the links work but record nothing.
    """
    base = settings.base_url
    unsubscribe_token = make_unsubscribe_token(settings.secret_key, recipient_id)
    unsubscribe_url = f"{base}/c/u/{unsubscribe_token}"
    code = promo_code or (campaign.promo_code or "")
    context = context_for(person, code, unsubscribe_url)
    subject = " ".join(render(campaign.subject, context, html=False).split())
    body_html = render(campaign.body_html, context, html=True)
    body_text = render(campaign.body_text, context, html=False)

    def track(url: str) -> str | None:
        if url.startswith(f"{base}/c/"):
            return None  # our own unsubscribe / tracking links stay as they are
        tagged = add_utm(url, campaign.slug)
        return f"{base}/c/c/{make_click_token(settings.secret_key, recipient_id, tagged)}"

    body_html = rewrite_html(body_html, track)
    body_text = rewrite_text(body_text, track)
    footer = footer or footer_texts(campaign)
    marking, why, unsubscribe = footer.marking, footer.why, footer.unsubscribe
    pixel = f"{base}/c/o/{make_open_token(settings.secret_key, recipient_id)}.gif"
    footer_html = (
        '<hr><p style="font-size:12px;color:#666">'
        + (f"{escape(marking)}<br>" if marking else "")
        + f'{escape(why)} <a href="{escape(unsubscribe_url)}">{escape(unsubscribe)}</a></p>'
        + f'<img src="{escape(pixel)}" width="1" height="1" alt="">'
    )
    if "</body>" in body_html.lower():
        at = body_html.lower().rindex("</body>")
        body_html = body_html[:at] + footer_html + body_html[at:]
    else:
        body_html += footer_html
    body_text = (
        body_text.rstrip()
        + "\n\n--\n"
        + (f"{marking}\n" if marking else "")
        + f"{why}\n{unsubscribe}: {unsubscribe_url}\n"
    )
    list_unsubscribe = f"<{unsubscribe_url}>"
    if settings.unsubscribe_mailto:
        list_unsubscribe += f", <mailto:{settings.unsubscribe_mailto}?subject=unsubscribe-{unsubscribe_token}>"
    headers = {"List-Unsubscribe": list_unsubscribe, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    if campaign.erid:
        headers["X-Erid"] = campaign.erid
    return ComposedMessage(subject, body_text, body_html, headers)


def to_email(settings: SenderSettings, to: str, message: ComposedMessage) -> EmailMessage:
    return build_message(settings.mail, to, message.subject, message.text, message.html, message.headers)


def send_test(campaign: Campaign, settings: SenderSettings, to: str, buyer: Buyer | None) -> None:
    """Send the campaign as ``buyer`` would see it to a staff address (links record nothing). Raises on failure."""
    message = compose(CampaignContent.of(campaign), settings, 0, Person.of(buyer) if buyer else None, None)
    message.subject = f"[TEST] {message.subject}"
    with MailConnection(settings.mail) as connection:
        connection.send(to_email(settings, to, message))


# --- quiet hours (Moscow) for trigger mail -----------------------------------------------------------------


def in_quiet_hours(now: datetime, settings: SenderSettings) -> bool:
    hour = now.astimezone(MOSCOW).hour
    start, end = settings.quiet_start_hour, settings.quiet_end_hour
    return (start <= hour or hour < end) if start > end else (start <= hour < end)


def quiet_hours_end(now: datetime, settings: SenderSettings) -> datetime | None:
    """The next end of quiet hours (UTC) if ``now`` falls in them, else None."""
    if not in_quiet_hours(now, settings):
        return None
    local = now.astimezone(MOSCOW)
    end = local.replace(hour=settings.quiet_end_hour, minute=0, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(now.tzinfo)


# --- the batch sender ----------------------------------------------------------------------------------------


def _claimable(campaign_id: int, now: datetime, settings: SenderSettings) -> Any:
    stale = now - timedelta(seconds=settings.lease_seconds)
    return and_(
        CR.campaign_id == campaign_id,
        CR.attempts < settings.max_attempts,
        or_(
            and_(CR.status == R.PENDING.value, or_(CR.not_before.is_(None), CR.not_before <= now)),
            and_(CR.status == R.SENDING.value, CR.claimed_at < stale),
        ),
    )


def claim_batch(session: Session, campaign_id: int, now: datetime, limit: int, settings: SenderSettings) -> str:
    """Claim up to ``limit`` due rows with one conditional UPDATE; returns the claim token. Commits."""
    token = secrets.token_hex(8)
    ids = select(CR.id).where(_claimable(campaign_id, now, settings)).order_by(CR.id).limit(limit)
    session.execute(
        update(CR)
        # The conditions again in the outer WHERE: a concurrent claimer re-checks them after waiting on the lock.
        .where(CR.id.in_(ids), _claimable(campaign_id, now, settings))
        .values(status=R.SENDING.value, claim_token=token, claimed_at=now, attempts=CR.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return token


def _give_up_stale(session: Session, campaign_id: int, now: datetime, settings: SenderSettings) -> None:
    """Rows whose sender died on the last allowed attempt: failed, not retried for ever."""
    stale = now - timedelta(seconds=settings.lease_seconds)
    session.execute(
        update(CR)
        .where(
            CR.campaign_id == campaign_id,
            CR.status == R.SENDING.value,
            CR.claimed_at < stale,
            CR.attempts >= settings.max_attempts,
        )
        .values(status=R.FAILED.value, claim_token=None, last_error="sender stopped during the last attempt")
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _finish(session: Session, token: str, recipient_id: int, **values: object) -> None:
    session.execute(
        update(CR)
        .where(CR.id == recipient_id, CR.claim_token == token)
        .values(claim_token=None, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


class Throttle:
    """Keeps sending at or below ``rate`` messages per second (0: no limit)."""

    def __init__(self, rate: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.sleep = sleep
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self.next_at:
            self.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


@dataclass
class BatchResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    capped: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, failed {self.failed}, skipped {self.skipped}, capped {self.capped}"


def send_batch(
    session: Session,
    campaign: Campaign,
    settings: SenderSettings,
    now: datetime,
    limit: int,
    connection: MailConnection,
    throttle: Throttle,
) -> BatchResult:
    """Claim and send up to ``limit`` messages of one campaign. A lost SMTP connection propagates (the claimed
    rows wait for their lease, as after a crash)."""
    result = BatchResult()
    _give_up_stale(session, campaign.id, now, settings)
    token = claim_batch(session, campaign.id, now, limit, settings)
    # Plain values, not ORM objects: each message's commit would expire and reload them.
    rows = session.execute(
        select(CR.id, CR.email, CR.promo_code, CR.attempts, Buyer.id.label("buyer_id"), Buyer.name,
               Buyer.company_name, Tier.name.label("tier_name"))
        .join(Buyer, Buyer.id == CR.buyer_id)
        .outerjoin(Tier, Tier.id == Buyer.tier_id)
        .where(CR.claim_token == token)
        .order_by(CR.id)
    ).all()  # fmt: skip
    if not rows:
        return result
    content = CampaignContent.of(campaign)
    buyer_ids = [row.buyer_id for row in rows]
    consenting = consenting_buyer_ids(session, buyer_ids)
    counts = recent_sends(session, buyer_ids, now - timedelta(days=settings.cap_days))
    footer = footer_texts(content)
    for recipient in rows:
        buyer_id = recipient.buyer_id
        if buyer_id not in consenting:
            _finish(session, token, recipient.id, status=R.SKIPPED.value)
            result.skipped += 1
            continue
        if counts.get(buyer_id, 0) >= settings.cap_messages:
            _finish(session, token, recipient.id, status=R.CAPPED.value)
            result.capped += 1
            continue
        person = Person(recipient.name, recipient.company_name or "", recipient.tier_name or "")
        message = compose(content, settings, recipient.id, person, recipient.promo_code, footer)
        throttle.wait()
        try:
            connection.send(to_email(settings, recipient.email, message))
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            error_text = str(getattr(error, "recipients", None) or error)[:300]
            if recipient.attempts >= settings.max_attempts:
                _finish(session, token, recipient.id, status=R.FAILED.value, last_error=error_text)
            else:
                retry_at = now + timedelta(minutes=settings.retry_minutes * recipient.attempts)
                _finish(
                    session, token, recipient.id, status=R.PENDING.value, last_error=error_text, not_before=retry_at
                )
            result.failed += 1
            logger.warning("campaign %s recipient %s refused by the mail server", content.id, recipient.id)
            continue
        _finish(session, token, recipient.id, status=R.SENT.value, sent_at=utcnow())
        counts[buyer_id] = counts.get(buyer_id, 0) + 1
        result.sent += 1
    return result


def _maybe_finished(session: Session, campaign: Campaign, now: datetime) -> None:
    if campaign.trigger is not None:
        return
    open_rows = session.scalar(
        select(func.count()).where(CR.campaign_id == campaign.id, CR.status.in_([R.PENDING.value, R.SENDING.value]))
    )
    if not open_rows and transition(session, campaign.id, CampaignStatus.SENT, finished_at=now):
        logger.info("campaign %s sent", campaign.id)
    session.commit()


def active_campaigns(session: Session) -> list[Campaign]:
    return list(
        session.scalars(
            select(Campaign)
            .where(
                or_(
                    and_(Campaign.trigger.is_(None), Campaign.status == CampaignStatus.SENDING.value),
                    and_(Campaign.trigger.is_not(None), Campaign.trigger_enabled.is_(True)),
                )
            )
            .order_by(Campaign.id)
        )
    )


def send_due(
    session: Session, settings: SenderSettings, now: datetime | None = None, sleep: Callable[[float], None] = time.sleep
) -> str:
    """One run of the sender: start due campaigns, then send up to ``batch_size`` messages over all of them."""
    now = now or utcnow()
    start_due_campaigns(session, now)
    budget = settings.batch_size
    total = BatchResult()
    throttle = Throttle(settings.rate_per_second, sleep)
    with MailConnection(settings.mail) as connection:
        for campaign in active_campaigns(session):
            if budget <= 0:
                break
            if campaign.trigger is not None and in_quiet_hours(now, settings):
                continue  # deferred, not dropped: the rows wait for the morning
            result = send_batch(session, campaign, settings, now, budget, connection, throttle)
            budget -= result.sent + result.failed + result.skipped + result.capped
            for name in ("sent", "failed", "skipped", "capped"):
                setattr(total, name, getattr(total, name) + getattr(result, name))
            _maybe_finished(session, campaign, now)
    return str(total)

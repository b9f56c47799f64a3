"""Sending: recipients (materialised by ``audience``) claimed before sending, marked after; retries, the frequency
cap, quiet hours for trigger mail, ``send_due`` (one run of the sender) and the staff's test send.

Exactly one message per recipient:
- ``crm_campaign_recipients`` has one row per (campaign, buyer, occasion) — the unique key refuses a second;
- a sender claims a batch with one conditional UPDATE (status pending → sending, a claim token and a lease);
  another sender cannot claim the same rows until the lease has run out;
- each row is marked sent, by its claim token, in its own commit right after the SMTP server accepted it, committed
  before the next message goes out.
A sender that dies mid-batch leaves its unsent rows claimed; after the lease the next run claims them again
and sends only those. (The one window left is a crash between the server's «250» and our commit: that
message may go twice. The lease default of 10 minutes is far longer than one send.)

A message refused for good (5xx for the recipient) is recorded on the row and retried later, at most
``max_attempts`` times. A message refused for now (4xx) is retried every ``retry_minutes`` without using up
an attempt, for ``TEMPORARY_REFUSALS_FOR`` after the row was queued. When no connection can be opened nothing is
sent: the run releases its claim (no attempt counted) and the rows wait for the next run. A connection lost
during a message aborts the batch: that message is treated as after a crash (it may have gone), the rest of the
batch is released. So an hour without a mail server, or of «451», loses and doubles nothing.

Telegram campaigns (``send_telegram_batch``) use the same claims, leases, cap and marks through the bot. A chat that
blocked the bot (403) or is gone is unlinked (its consent withdrawn) and the row skipped; when the Bot API cannot
be reached or asks us to wait (429, 5xx) the claim is released, as with no mail server.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import secrets
import smtplib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from select import select as wait_for_sockets
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import ColumnElement, Update, and_, bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session

from crm.campaigns.ab_test import subject_for
from crm.campaigns.audience import consenting_buyer_ids, start_due_campaigns
from crm.campaigns.compose import (
    Person,
    compose,
    compose_telegram,
    footer_texts,
    live_content,
    to_email,
)
from crm.campaigns.models import Campaign, CampaignRecipient, CampaignStatus, Channel, RecipientStatus
from crm.campaigns.rendering import TemplateRefused
from crm.campaigns.sender_settings import SenderSettings
from crm.campaigns.services import transition
from storefront.account.models import Buyer, Tier
from storefront.db import utcnow
from storefront.mail import MailConnection, MailServerUnavailable, reply_code
from storefront.moscow import MOSCOW
from storefront.ops.metrics import CAMPAIGN_MESSAGES
from storefront.telegram.client import BotClient, TelegramBlocked, TelegramUnavailable
from storefront.telegram.services import telegram_consenting, unlink_chat
from storefront.workdays import is_public_holiday

logger = logging.getLogger(__name__)
#: How long after a row was queued a refusal «for now» (4xx) is still retried; then it is failed.
TEMPORARY_REFUSALS_FOR = timedelta(days=3)
R = RecipientStatus
CR = CampaignRecipient


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


def send_test(session: Session, campaign: Campaign, settings: SenderSettings, to: str, buyer: Buyer | None) -> None:
    """Send the campaign as ``buyer`` would see it to a staff address (links record nothing). Raises on failure."""
    content = live_content(session, campaign, settings.base_url)
    # An A/B test: one test e-mail per subject, marked [TEST A] and [TEST B].
    variants = [("", campaign.subject)]
    if campaign.ab_test:
        variants = [("A", campaign.subject), ("B", campaign.subject_b or "")]
    person = Person.of(buyer) if buyer else None
    messages = []
    for variant, subject in variants:
        message = compose(dataclasses.replace(content, subject=subject), settings, 0, person, None)
        message.subject = f"[TEST{' ' + variant if variant else ''}] {message.subject}"
        messages.append(message)
    with MailConnection(settings.mail) as connection:
        for message in messages:
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


@dataclass(frozen=True)
class ScheduleConcerns:
    """What a marketer is warned of before a manual send: quiet hours, a public holiday (Moscow time)."""

    quiet: bool
    holiday: str | None

    def __bool__(self) -> bool:
        return self.quiet or self.holiday is not None


def schedule_concerns(send_at: datetime, settings: SenderSettings) -> ScheduleConcerns:
    """Whether ``send_at`` (UTC) falls in quiet hours or on a day off of the production calendar, in Moscow."""
    return ScheduleConcerns(in_quiet_hours(send_at, settings), is_public_holiday(send_at.astimezone(MOSCOW).date()))


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
    """Claim up to ``limit`` due rows (their ids, then one conditional UPDATE by id); returns the claim token.
    Commits."""
    token = secrets.token_hex(8)
    # The ids first, then the rows by id. One UPDATE with the LIMIT in a subquery was planned on PostgreSQL as a
    # nested loop over the whole queue for every row (2 s for a batch of 1,000 of 10,000) while the table's
    # statistics still predated the campaign's new rows, which is when sending starts. Rows another sender holds
    # are skipped (PostgreSQL), not waited for.
    ids = session.scalars(
        select(CR.id)
        .where(_claimable(campaign_id, now, settings))
        .order_by(CR.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        session.commit()
        return token
    session.execute(
        update(CR)
        # The conditions again: a concurrent claimer (SQLite has no row locks) re-checks them on the rows it writes.
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


class RowMarks:
    """Settles the claimed rows of one batch, over one connection held for the batch in autocommit: each row in a
    commit of its own, right after its message went out (or instead of it), in one round trip instead of a
    session transaction's five (checkout, BEGIN, UPDATE, COMMIT, return).

    On PostgreSQL the connection does not wait for the WAL flush (``synchronous_commit`` off until the batch ends),
    and a mark is sent without waiting for its reply (libpq's asynchronous command processing): the server commits
    it while the next message is composed, and ``settled`` reads the reply before that message is handed to the
    mail server. So a row is still committed as sent before the next message goes out. A crash of the sender loses
    no mark by it; a crash of the database server itself can lose the last fraction of a second of marks, and those
    rows are tried again after their lease, as they would be after a sender crash between the SMTP reply and the
    commit.
    """

    def __init__(self, session: Session) -> None:
        session.commit()  # no snapshot left open in the session while this connection writes (SQLite would refuse
        # the session's next write on a stale snapshot)
        self.connection = session.get_bind().engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.postgres = self.connection.dialect.name == "postgresql"
        self._in_flight = False

    def __enter__(self) -> RowMarks:
        if self.postgres:
            self.connection.execute(text("SET synchronous_commit TO OFF"))
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.settled()
            if self.postgres:
                self.connection.execute(text("RESET synchronous_commit"))  # the pool gets it back as it was
        finally:
            self.connection.close()

    def finish(self, token: str, recipient_id: int, **values: object) -> None:
        self.settled()
        if any(isinstance(value, ColumnElement) for value in values.values()):  # attempts - 1: a rare path
            where = (CR.id == recipient_id) & (CR.claim_token == token)
            self.connection.execute(update(CR).where(where).values(claim_token=None, **values))
            return
        names = tuple(sorted(values))
        if self.postgres:
            self._send_mark(names, [recipient_id, token, *(values[name] for name in names)])
            return
        parameters = {f"new_{name}": value for name, value in values.items()}
        self.connection.execute(_finish_statement(names), {"recipient": recipient_id, "claim": token, **parameters})

    def _send_mark(self, names: tuple[str, ...], values: list[object]) -> None:
        """Send the mark's UPDATE without waiting for the reply (PostgreSQL; ``settled`` reads it)."""
        pgconn = self._pgconn()
        pgconn.send_query_params(_finish_sql(names), [_text_parameter(value) for value in values])
        self._in_flight = True
        while pgconn.flush():  # a non-blocking connection: what did not fit in the socket's buffer yet
            wait_for_sockets([], [pgconn.socket], [])

    def settled(self) -> None:
        """Wait until the mark in flight, if any, is committed; raises if the server refused it."""
        if not self._in_flight:
            return
        self._in_flight = False
        pgconn = self._pgconn()
        pgconn.consume_input()
        while pgconn.is_busy():
            wait_for_sockets([pgconn.socket], [], [])
            pgconn.consume_input()
        failure = None
        while (result := pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK:
                failure = (result.error_message or b"").decode(errors="replace")
        if failure is not None:
            raise psycopg.DatabaseError(f"marking a campaign recipient failed: {failure}")

    def _pgconn(self) -> pq.abc.PGconn:
        return self.connection.connection.dbapi_connection.pgconn  # type: ignore[union-attr]

    def release(self, token: str, keep: int | None = None) -> None:
        """Give back this claim's rows not tried (all but ``keep``, the message in flight): pending again, the
        attempt their claim counted taken back."""
        self.settled()
        self.connection.execute(
            update(CR)
            .where(CR.claim_token == token, CR.id != (keep or 0))
            .values(status=R.PENDING.value, claim_token=None, attempts=CR.attempts - 1)
        )


@functools.cache
def _finish_statement(names: tuple[str, ...]) -> Update:
    """One UPDATE per set of columns, built once: building it anew was a sixth of a message's cost."""
    return (
        update(CR)
        .where(CR.id == bindparam("recipient"), CR.claim_token == bindparam("claim"))
        .values(claim_token=None, **{name: bindparam(f"new_{name}") for name in names})
    )


@functools.cache
def _finish_sql(names: tuple[str, ...]) -> bytes:
    """The same UPDATE for libpq: $1 the row, $2 the claim token, then the columns ``names`` in order."""
    assignments = ", ".join(f"{CR.__table__.c[name].name} = ${number}" for number, name in enumerate(names, 3))
    return (
        f"UPDATE {CR.__tablename__} SET claim_token = NULL, {assignments} WHERE id = $1 AND claim_token = $2".encode()
    )


def _text_parameter(value: object) -> bytes | None:
    """A parameter in libpq's text format (the server casts it to the column's type)."""
    if value is None:
        return None
    return (value.isoformat() if isinstance(value, datetime) else str(value)).encode()


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
    """What a batch (or one run of the sender) did with the rows it claimed; ``str()`` is the job log's text."""

    sent: int = 0
    #: Refused by the mail server: retried later, or failed for good after ``max_attempts``.
    failed: int = 0
    #: No marketing consent any more (or the buyer is inactive).
    skipped: int = 0
    #: Over the frequency cap.
    capped: int = 0

    @property
    def handled(self) -> int:
        """Rows this batch is done with (what counts against the run's ``batch_size``)."""
        return self.sent + self.failed + self.skipped + self.capped

    def __add__(self, other: BatchResult) -> BatchResult:
        return BatchResult(
            self.sent + other.sent,
            self.failed + other.failed,
            self.skipped + other.skipped,
            self.capped + other.capped,
        )

    def __str__(self) -> str:
        return f"sent {self.sent}, failed {self.failed}, skipped {self.skipped}, capped {self.capped}"


def _claim_rows(
    session: Session, campaign: Campaign, settings: SenderSettings, now: datetime, limit: int
) -> tuple[str, list[Any]]:
    """Give up the rows of dead senders, claim up to ``limit`` due rows and read them as plain values (not ORM
    objects: each message's commit would expire and reload them). The claim token and the rows."""
    _give_up_stale(session, campaign.id, now, settings)
    token = claim_batch(session, campaign.id, now, limit, settings)
    rows = session.execute(
        select(CR.id, CR.email, CR.chat_id, CR.promo_code, CR.attempts, CR.created_at, CR.variant,
               Buyer.id.label("buyer_id"), Buyer.name, Buyer.company_name, Tier.name.label("tier_name"))
        .join(Buyer, Buyer.id == CR.buyer_id)
        .outerjoin(Tier, Tier.id == Buyer.tier_id)
        .where(CR.claim_token == token)
        .order_by(CR.id)
    ).all()  # fmt: skip
    return token, list(rows)


def _settle(marks: RowMarks, token: str, recipient_id: int, result: BatchResult, outcome: RecipientStatus,
            **values: object) -> None:  # fmt: skip
    """Mark the row done as ``outcome`` (sent, skipped, capped or failed for good) and count it."""
    marks.finish(token, recipient_id, status=outcome.value, **values)
    setattr(result, outcome.value, getattr(result, outcome.value) + 1)
    CAMPAIGN_MESSAGES.labels(outcome.value).inc()


def _person(recipient: Any) -> Person:
    return Person(recipient.name, recipient.company_name or "", recipient.tier_name or "")


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
    token, rows = _claim_rows(session, campaign, settings, now, limit)
    if not rows:
        return result
    content = live_content(session, campaign, settings.base_url)  # product prices as of this batch
    # An A/B test: each variant's subject; the rest (released after the claim above) get the winner's.
    winner = session.scalar(select(Campaign.ab_winner).where(Campaign.id == campaign.id))
    contents = {
        variant: dataclasses.replace(content, subject=subject_for(content.subject, campaign.subject_b, variant, winner))
        for variant in ("", "A", "B")
    }
    buyer_ids = [row.buyer_id for row in rows]
    consenting = consenting_buyer_ids(session, buyer_ids)
    counts = recent_sends(session, buyer_ids, now - timedelta(days=settings.cap_days))
    footer = footer_texts(content)
    with RowMarks(session) as marks:
        for recipient in rows:
            buyer_id = recipient.buyer_id
            if buyer_id not in consenting:
                _settle(marks, token, recipient.id, result, R.SKIPPED)
                continue
            if counts.get(buyer_id, 0) >= settings.cap_messages:
                _settle(marks, token, recipient.id, result, R.CAPPED)
                continue
            try:
                message = compose(
                    contents[recipient.variant],
                    settings,
                    recipient.id,
                    _person(recipient),
                    recipient.promo_code,
                    footer,
                )
            except TemplateRefused as refused:
                # This recipient's data breaks the template (a one-word name split in two): their message fails for
                # good — retrying cannot help — and the rest of the run goes on.
                _settle(marks, token, recipient.id, result, R.FAILED, last_error=str(refused)[:300])
                logger.warning("campaign %s recipient %s: the template failed on their data", content.id, recipient.id)
                continue
            email = to_email(settings, recipient.email, message)
            throttle.wait()
            marks.settled()  # the last message's mark is committed before this one goes out
            try:
                connection.send(email)
            except MailServerUnavailable:
                marks.release(token)  # nothing went out: this row and the rest wait for the next run
                raise
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
                error_text = str(getattr(error, "recipients", None) or error)[:300]
                code = reply_code(error) or 0
                if 400 <= code < 500 and now - recipient.created_at < TEMPORARY_REFUSALS_FOR:
                    marks.finish(
                        token,
                        recipient.id,
                        status=R.PENDING.value,
                        last_error=error_text,
                        not_before=now + timedelta(minutes=settings.retry_minutes),
                        attempts=CR.attempts - 1,  # refused for now: not an attempt at the message
                    )
                elif recipient.attempts >= settings.max_attempts:
                    marks.finish(token, recipient.id, status=R.FAILED.value, last_error=error_text)
                    CAMPAIGN_MESSAGES.labels("failed").inc()
                else:
                    CAMPAIGN_MESSAGES.labels("retry").inc()
                    retry_at = now + timedelta(minutes=settings.retry_minutes * recipient.attempts)
                    marks.finish(
                        token, recipient.id, status=R.PENDING.value, last_error=error_text, not_before=retry_at
                    )
                result.failed += 1
                logger.warning("campaign %s recipient %s refused by the mail server", content.id, recipient.id)
                continue
            except (OSError, smtplib.SMTPException):
                marks.release(token, keep=recipient.id)  # lost mid-message: this one waits for its lease
                raise
            _settle(marks, token, recipient.id, result, R.SENT, sent_at=utcnow())
            counts[buyer_id] = counts.get(buyer_id, 0) + 1
    return result


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
    token, rows = _claim_rows(session, campaign, settings, now, limit)
    if not rows:
        return result
    content = live_content(session, campaign, settings.base_url)  # product prices as of this batch
    buyer_ids = [row.buyer_id for row in rows]
    # The chat as linked now: a buyer who unlinked or moved to another chat since the start is not written to.
    chats = telegram_consenting(session, buyer_ids)
    counts = recent_sends(session, buyer_ids, now - timedelta(days=settings.cap_days))
    footer = footer_texts(content)
    with RowMarks(session) as marks:
        for recipient in rows:
            chat_id = chats.get(recipient.buyer_id)
            if chat_id is None or chat_id != recipient.chat_id:
                _settle(marks, token, recipient.id, result, R.SKIPPED)
                continue
            if counts.get(recipient.buyer_id, 0) >= settings.cap_messages:
                _settle(marks, token, recipient.id, result, R.CAPPED)
                continue
            try:
                text = compose_telegram(
                    content, settings, recipient.id, _person(recipient), recipient.promo_code, footer
                )
            except TemplateRefused as refused:
                _settle(marks, token, recipient.id, result, R.FAILED, last_error=str(refused)[:300])
                continue
            throttle.wait()
            marks.settled()  # the last message's mark is committed before this one goes out
            try:
                bot.send_text(chat_id, text)
            except TelegramBlocked as blocked:
                unlink_chat(session, chat_id, now, "blocked")
                session.commit()  # before the mark: the marks' connection writes next
                _settle(marks, token, recipient.id, result, R.SKIPPED, last_error=f"telegram: {blocked}"[:300])
                continue
            except TelegramUnavailable:
                marks.release(token)  # nothing went out: this row and the rest wait for the next run
                raise
            _settle(marks, token, recipient.id, result, R.SENT, sent_at=utcnow())
            counts[recipient.buyer_id] = counts.get(recipient.buyer_id, 0) + 1
    return result


def _maybe_finished(session: Session, campaign: Campaign, now: datetime) -> None:
    if campaign.trigger is not None:
        return
    if campaign.ab_test and campaign.ab_winner is None:
        return  # the rest waits for the winner (``ab_test.decide_due_tests``)
    open_rows = session.scalar(
        select(func.count()).where(
            CR.campaign_id == campaign.id, CR.status.in_([R.PENDING.value, R.SENDING.value, R.HELD.value])
        )
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
    session: Session,
    settings: SenderSettings,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    bot: BotClient | None = None,
) -> BatchResult:
    """One run of the sender: start due campaigns, then send up to ``batch_size`` messages over all of them
    (Telegram campaigns through ``bot``; without one they wait)."""
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
            if campaign.channel == Channel.TELEGRAM:
                if bot is None:
                    continue
                try:
                    result = send_telegram_batch(session, campaign, settings, now, budget, bot, throttle)
                except TelegramUnavailable:
                    logger.warning("campaign %s: the Bot API is not answering; the rest waits", campaign.id)
                    continue
            else:
                result = send_batch(session, campaign, settings, now, budget, connection, throttle)
            budget -= result.handled
            total += result
            _maybe_finished(session, campaign, now)
    return total

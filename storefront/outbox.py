"""The e-mail outbox: every transactional message is rendered and written to ``outbox`` in the same transaction as
the change that causes it (a rollback leaves no mail; a commit never loses one), then sent from there: at once
after the commit (``storefront.emails`` kicks the rows that commit wrote) and by the ``send-mail-outbox`` job for
whatever that could not send.

Writing: an entry point with the app calls ``storefront.emails.queue_templated(session, …)`` before it commits; a
use case without Flask (placement, a status change, a payment, a refund) calls ``expect_mail(session, kind,
**ids)``, and the renderer registered for ``kind`` turns it into a message just before that session commits.

Sending (``send_due``), each message exactly once:
- rows are claimed with one conditional UPDATE (a claim token and a lease, ``MAIL_OUTBOX_LEASE_SECONDS``); a
  sender killed mid-send leaves its rows to be claimed again when the lease has run out;
- a message the server accepted is marked sent, by its claim token, in its own commit together with its
  ``sent_emails`` entry (``storefront.maillog``);
- a 4xx reply, a refused or lost connection (then for every message left in the batch): retried with
  exponential back-off (``MAIL_OUTBOX_RETRY_SECONDS`` × 2^(attempts − 1), at most an hour), for
  ``MAIL_OUTBOX_MAX_ATTEMPTS`` attempts; a 5xx reply fails the row for good. Failed rows keep ``last_error`` and
  are logged as errors.
Every row keeps one Message-ID over its attempts. The one window left is a crash between the server's «250» and
our commit: that message goes again, with the same Message-ID.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Index, String, Text, and_, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from storefront.db import Base, rowcount, utcnow
from storefront.jobs import periodic
from storefront.mail import MailConnection, MailSettings, build_message, reply_code
from storefront.maillog import log_sent

if TYPE_CHECKING:
    from flask import Flask

logger = logging.getLogger(__name__)

#: ``session.info`` keys: the mails a use case expects (rendered before the commit), the rows written.
EXPECTED = "outbox_expected"
WRITTEN = "outbox_written"
#: The longest wait between two attempts.
MAX_BACKOFF = timedelta(hours=1)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    #: Refused for good (a 5xx reply) or out of attempts.
    FAILED = "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The template (``order_placed``, ``order_status``, ``tier_up``, ``password_reset`` …).
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    #: The same on every attempt: a message sent twice is one message to the reader's mail client.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)


@dataclass(frozen=True)
class OutboxPolicy:
    lease: timedelta
    retry: timedelta
    max_attempts: int
    batch_size: int = 100

    @classmethod
    def from_config(cls, config: Any) -> OutboxPolicy:
        return cls(
            lease=timedelta(seconds=int(config["MAIL_OUTBOX_LEASE_SECONDS"])),
            retry=timedelta(seconds=int(config["MAIL_OUTBOX_RETRY_SECONDS"])),
            max_attempts=int(config["MAIL_OUTBOX_MAX_ATTEMPTS"]),
        )

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: retry, 2 × retry, 4 × retry … at most an hour."""
        return min(self.retry * 2 ** min(attempts - 1, 20), MAX_BACKOFF)


def expect_mail(session: Session, kind: str, **ids: object) -> None:
    """This transaction owes someone the e-mail ``kind`` about ``ids``; it is rendered (by the renderer
    ``storefront.emails.mail_renderer`` registered for ``kind``) and written just before the session commits."""
    session.info.setdefault(EXPECTED, []).append((kind, ids))


def add_message(session: Session, kind: str, to: str, subject: str, text: str, html: str | None) -> OutboxMessage:
    """Write one rendered message into the session's transaction; it is sent once that commits."""
    message = OutboxMessage(
        kind=kind[:40],
        to_address=to.strip()[:254],
        subject=subject[:300],
        text_body=text,
        html_body=html,
        message_id=make_msgid(domain="mostik.local"),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    session.info.setdefault(WRITTEN, []).append(message.message_id)
    return message


def outbox_depth(session: Session) -> int:
    """Messages not yet sent (waiting, being sent or waiting for a retry); failed ones are not counted."""
    return session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)) or 0


# --- sending --------------------------------------------------------------------------------------------------


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now),
    )


def claim(session: Session, now: datetime, policy: OutboxPolicy, only: Sequence[str] | None = None) -> str:
    """Claim up to ``batch_size`` due rows (of ``only``, Message-IDs, when given) with one conditional UPDATE;
    returns the claim token. Commits."""
    token = secrets.token_hex(8)
    due = select(OutboxMessage.id).where(_claimable(now))
    if only is not None:
        due = due.where(OutboxMessage.message_id.in_(list(only)))
    # SKIP LOCKED (PostgreSQL; SQLite has one writer anyway): concurrent senders take different rows.
    due = due.order_by(OutboxMessage.id).limit(policy.batch_size).with_for_update(skip_locked=True)
    session.execute(
        update(OutboxMessage)
        # The conditions again in the outer WHERE: a concurrent claimer re-checks them on the row it waited for.
        .where(OutboxMessage.id.in_(due), _claimable(now))
        .values(claim_token=token, lease_until=now + policy.lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return token


@dataclass
class SendResult:
    """What one run of the sender did; ``str()`` is the job log's text."""

    sent: int = 0
    #: Refused for now (4xx, no connection): waiting for a retry.
    retrying: int = 0
    #: Refused for good (5xx) or out of attempts.
    failed: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}"


def _error_text(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return str(error.recipients)[:500]
    return f"{type(error).__name__}: {error}"[:500]


def _finish(session: Session, token: str, row_id: int, **values: object) -> bool:
    """Record the outcome of this sender's attempt; False when the row is no longer ours (lease taken over)."""
    done = rowcount(
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.claim_token == token)
            .values(claim_token=None, lease_until=None, attempts=OutboxMessage.attempts + 1, **values)
            .execution_options(synchronize_session=False)
        )
    )
    return done == 1


def _record_refusal(
    session: Session, token: str, row: Any, error: Exception, now: datetime, policy: OutboxPolicy
) -> OutboxStatus:
    code = reply_code(error)
    attempts = row.attempts + 1
    text = _error_text(error)
    if (code is not None and 500 <= code < 600) or attempts >= policy.max_attempts:
        _finish(session, token, row.id, status=OutboxStatus.FAILED, last_error=text)
        session.commit()
        logger.error("mail %s (%s) to %s failed for good: %s", row.id, row.kind, row.to_address, text)
        return OutboxStatus.FAILED
    _finish(session, token, row.id, last_error=text, next_attempt_at=now + policy.backoff(attempts))
    session.commit()
    logger.warning("mail %s (%s) refused for now, attempt %s: %s", row.id, row.kind, attempts, text)
    return OutboxStatus.PENDING


def send_due(
    session: Session,
    mail: MailSettings,
    policy: OutboxPolicy,
    now: datetime | None = None,
    only: Sequence[str] | None = None,
) -> SendResult:
    """Claim the due messages (of ``only``, Message-IDs, when given) and send them over one SMTP connection."""
    now = now or utcnow()
    result = SendResult()
    token = claim(session, now, policy, only)
    rows = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.to_address,
            OutboxMessage.subject,
            OutboxMessage.text_body,
            OutboxMessage.html_body,
            OutboxMessage.message_id,
            OutboxMessage.attempts,
        )
        .where(OutboxMessage.claim_token == token)
        .order_by(OutboxMessage.id)
    ).all()
    if not rows:
        return result
    with MailConnection(mail) as connection:
        for index, row in enumerate(rows):
            message = build_message(
                mail, row.to_address, row.subject, row.text_body, row.html_body, message_id=row.message_id
            )
            try:
                connection.send(message)
            except (OSError, smtplib.SMTPException) as error:
                lost = reply_code(error) is None  # no server to talk to: the rest of the batch waits as well
                for refused in rows[index:] if lost else [row]:
                    if _record_refusal(session, token, refused, error, now, policy) == OutboxStatus.FAILED:
                        result.failed += 1
                    else:
                        result.retrying += 1
                if lost:
                    break
                continue
            if _finish(session, token, row.id, status=OutboxStatus.SENT, sent_at=now, last_error=None):
                log_sent(session, row.to_address, row.kind, row.subject, now)
            else:
                logger.warning("mail %s was sent after its lease had run out", row.id)
            session.commit()
            result.sent += 1
    return result


def mail_settings(app: Flask) -> MailSettings:
    return MailSettings.from_config(app.config)


def outbox_policy(app: Flask) -> OutboxPolicy:
    return OutboxPolicy.from_config(app.config)


@periodic("send-mail-outbox", every=timedelta(minutes=1), needs={"mail": mail_settings, "policy": outbox_policy})
def send_outbox(session: Session, now: datetime, *, mail: MailSettings, policy: OutboxPolicy) -> SendResult:
    """Send what is due in the outbox: what the kick after a commit could not send, and the retries."""
    return send_due(session, mail, policy, now)

"""Render a Russian email (text + HTML templates under ``templates/emails/``) into the outbox, in the caller's
transaction; after the commit the rows it wrote are sent at once (``storefront.outbox`` retries the rest).

Two ways in: an entry point with the app calls ``queue_templated(session, …)`` before its commit; a use case
without Flask calls ``storefront.outbox.expect_mail(session, kind, **ids)`` and the function registered with
``@mail_renderer(kind)`` queues the message just before that session commits (``before_commit``), seeing what the
transaction wrote. A renderer that fails is logged and queues nothing: an e-mail never undoes the change itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, has_app_context, render_template
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from storefront.mail import MailSettings
from storefront.outbox import EXPECTED, WRITTEN, OutboxMessage, OutboxPolicy, add_message, send_due

logger = logging.getLogger(__name__)

#: ``renderer(session, **ids)``: queues the e-mail ``expect_mail`` announced (or nothing, when it is no news).
MailRenderer = Callable[..., None]
#: Each kind's renderers, in registration order: one news may owe e-mails to several people (a dispute's buyer
#: from the storefront, its staff from the CRM).
_renderers: dict[str, list[MailRenderer]] = {}


def mail_renderer(kind: str) -> Callable[[MailRenderer], MailRenderer]:
    def decorator(function: MailRenderer) -> MailRenderer:
        _renderers.setdefault(kind, []).append(function)
        return function

    return decorator


def queue_templated(session: Session, template: str, to: str, subject: str, **context: Any) -> OutboxMessage:
    """``template`` names ``emails/<template>.txt`` and ``.html``; always rendered in Russian, written to the
    outbox in ``session``'s transaction. Sent after the commit; once sent it is logged in ``sent_emails``."""
    with force_locale("ru"):
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
    return add_message(session, template, to, str(subject), text, html)


def _render_expected(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the outer transaction's commit renders
        return
    expected = session.info.pop(EXPECTED, None)
    if not expected:
        return
    if not has_app_context():  # a use case run without the app (scripts, some tests): nobody to render for
        logger.info("%s e-mail(s) not queued outside an app", len(expected))
        return
    for kind, ids in expected:
        for render in _renderers.get(kind, []):
            try:
                render(session, **ids)
            except Exception:  # the change commits; the mail is a bug to fix, not a reason to refuse it
                logger.exception("e-mail %s %r not queued", kind, ids)


def _kick(session: Session) -> None:
    """Send the rows this commit wrote, now, on a session of their own (the job retries what fails)."""
    if session.in_nested_transaction():
        return
    written = session.info.pop(WRITTEN, None)
    if not written or not has_app_context():
        return
    config = current_app.config
    try:
        with Session(session.get_bind()) as sender:
            send_due(sender, MailSettings.from_config(config), OutboxPolicy.from_config(config), only=written)
    except Exception:  # the rows stay in the outbox for the job
        logger.exception("outbox kick after commit failed")


def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (a rollback, or after the kick): forget it
        session.info.pop(EXPECTED, None)
        session.info.pop(WRITTEN, None)


def install() -> None:
    """Listen on every Session once (the app's scoped one and plain ones in receivers and jobs)."""
    if not event.contains(Session, "before_commit", _render_expected):
        event.listen(Session, "before_commit", _render_expected)
        event.listen(Session, "after_commit", _kick)
        event.listen(Session, "after_transaction_end", _forget)

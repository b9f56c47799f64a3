"""The e-mail outbox against the real SMTP sink on loopback, on both engines: a message is written in the
transaction that causes it (a rollback leaves none), survives an hour of a refusing or absent mail server and is
then sent once, stops at a permanent refusal, is never sent twice by concurrent senders (PostgreSQL) and is sent
once after a sender died holding it. The job's clock is advanced; nothing sleeps."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.emails import queue_templated
from storefront.extensions import db
from storefront.jobs import run_due
from storefront.mail import MailSettings
from storefront.maillog import SentEmail
from storefront.order.models import OrderStatus
from storefront.order.services import change_status
from storefront.outbox import (
    OutboxMessage,
    OutboxPolicy,
    OutboxStatus,
    add_message,
    claim,
    outbox_depth,
    send_due,
)
from tests.support.factories import create_buyer, make_order
from tests.support.network import free_port


def _rows(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _settings(app: Flask) -> tuple[MailSettings, OutboxPolicy]:
    return MailSettings.from_config(app.config), OutboxPolicy.from_config(app.config)


def _write(session: Session, count: int) -> list[str]:
    """Rows written without the app (so nothing is kicked at the commit): their Message-IDs."""
    rows = [
        add_message(session, "password_reset", f"buyer{n}@example.ru", "Сброс", f"текст {n}", None)
        for n in range(count)
    ]
    session.commit()
    return [row.message_id for row in rows]


def test_an_order_e_mail_whose_transaction_rolls_back_is_never_sent(app: Flask, session: Session, mailbox) -> None:
    order = make_order(session)
    session.commit()
    with app.app_context():
        change_status(session, order, OrderStatus.CANCELED, note="buyer_asked")  # announces the cancel e-mail
        queue_templated(session, "password_reset", order.email, "Сброс", buyer=None, link="http://x/")
        session.flush()  # the rows reached the database inside the transaction …
        session.rollback()  # … which then fails
        mail, policy = _settings(app)
        assert send_due(session, mail, policy, utcnow() + timedelta(hours=1)).sent == 0  # nothing to find
    assert mailbox.messages == [] and _rows(session) == [] and outbox_depth(session) == 0

    with app.app_context():
        change_status(session, order, OrderStatus.CANCELED, note="buyer_asked")
        session.commit()
    assert [m["Subject"] for m in mailbox.messages] == [f"Заказ {order.number}: Отменён"]
    (row,) = _rows(session)
    assert (row.kind, row.status, row.attempts) == ("order_status", OutboxStatus.SENT, 1)
    assert mailbox.messages[0]["Message-ID"] == row.message_id
    assert session.scalars(select(SentEmail.kind)).all() == ["order_status"]


@pytest.mark.parametrize("refusal", ["451", "no server"])
def test_an_hour_of_refusals_loses_nothing_then_each_message_goes_once(
    app: Flask, session: Session, mailbox, refusal: str
) -> None:
    buyer = create_buyer(session, email="anna@example.ru")
    session.commit()
    port = app.config["MAIL_PORT"]
    if refusal == "451":
        mailbox.answer = "451 4.3.0 Try again later"
    else:
        app.config["MAIL_PORT"] = free_port()  # nobody listens there
    start = utcnow()
    try:
        with app.app_context():
            for n in range(3):
                queue_templated(session, "password_reset", f"buyer{n}@example.ru", f"Сброс {n}", buyer=buyer, link="/")
            session.commit()  # the kick after the commit is refused too
            mail, policy = _settings(app)
            for minute in range(0, 61, 3):
                send_due(session, mail, policy, start + timedelta(minutes=minute))
    finally:
        app.config["MAIL_PORT"] = port
    rows = _rows(session)
    assert mailbox.messages == [] and outbox_depth(session) == 3
    assert all(row.status == OutboxStatus.PENDING and row.attempts >= 5 for row in rows)
    assert all(row.last_error and (refusal != "451" or "451" in row.last_error) for row in rows)
    backoff = max(row.next_attempt_at for row in rows) - start
    assert timedelta(minutes=60) < backoff <= timedelta(minutes=121)  # doubling waits, at most an hour

    mailbox.answer = None  # the server is back; the periodic job sends on its own clock
    with app.app_context():
        results = dict(run_due(session, start + timedelta(hours=2, minutes=1), app=app))
        assert results["send-mail-outbox"] == "sent 3, retrying 0, failed 0"
        mail, policy = _settings(app)
        assert send_due(session, mail, policy, start + timedelta(hours=5)).sent == 0
    assert sorted(m["To"] for m in mailbox.messages) == [f"buyer{n}@example.ru" for n in range(3)]
    rows = _rows(session)
    assert Counter(m["Message-ID"] for m in mailbox.messages) == Counter(row.message_id for row in rows)
    assert all(row.status == OutboxStatus.SENT and row.last_error is None for row in rows)
    assert outbox_depth(session) == 0 and len(session.scalars(select(SentEmail.id)).all()) == 3


def test_a_permanent_refusal_stops_retrying_and_stays_visible(app: Flask, session: Session, mailbox) -> None:
    mailbox.refuse.add("gone@example.ru")
    with app.app_context():
        queue_templated(session, "password_reset", "gone@example.ru", "Сброс", buyer=None, link="/")
        queue_templated(session, "password_reset", "here@example.ru", "Сброс", buyer=None, link="/")
        session.commit()
        mail, policy = _settings(app)
        later = [send_due(session, mail, policy, utcnow() + timedelta(hours=hours)) for hours in (1, 5, 24)]
    assert [str(result) for result in later] == ["sent 0, retrying 0, failed 0"] * 3
    gone, here = _rows(session)
    assert (gone.status, gone.attempts) == (OutboxStatus.FAILED, 1) and "550" in (gone.last_error or "")
    assert here.status == OutboxStatus.SENT
    assert [m["To"] for m in mailbox.messages] == ["here@example.ru"]
    assert outbox_depth(session) == 0  # a failed message is not waiting: it is reported, not retried


def test_a_sender_killed_after_claiming_leaves_the_row_to_be_sent_once_after_the_lease(
    app: Flask, session: Session, mailbox
) -> None:
    (message_id,) = _write(session, 1)
    mail, policy = _settings(app)
    now = utcnow()
    token = claim(session, now, policy)  # … and the sender dies here, before sending
    assert _rows(session)[0].claim_token == token
    assert send_due(session, mail, policy, now + timedelta(seconds=10)).sent == 0  # still leased
    assert mailbox.messages == []
    assert send_due(session, mail, policy, now + policy.lease + timedelta(seconds=1)).sent == 1
    assert send_due(session, mail, policy, now + policy.lease * 3).sent == 0
    assert [m["Message-ID"] for m in mailbox.messages] == [message_id]
    (row,) = _rows(session)
    assert (row.status, row.attempts, row.claim_token) == (OutboxStatus.SENT, 1, None)


@pytest.mark.postgres_only
def test_two_concurrent_senders_never_send_a_row_twice(app: Flask, session: Session, mailbox) -> None:
    message_ids = _write(session, 40)
    mail, policy = _settings(app)
    policy = OutboxPolicy(policy.lease, policy.retry, policy.max_attempts, batch_size=3)
    with app.app_context():
        engine = db.engine
    start = threading.Barrier(2)
    sent: list[int] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with Session(engine) as own:
                start.wait()
                while True:
                    result = send_due(own, mail, policy)
                    if not (result.sent or result.retrying):
                        break
                    sent.append(result.sent)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(sent) == 40
    assert Counter(m["Message-ID"] for m in mailbox.messages) == Counter(message_ids)
    assert all(row.status == OutboxStatus.SENT and row.attempts == 1 for row in _rows(session))

"""Campaign sending end to end on a real SMTP server on loopback: consent, headers, Russian text, UTM links,
one-click unsubscribe, tracking, exactly-once after a crash, bounded retries, control group."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.campaigns.audience import start_due_campaigns
from crm.campaigns.models import Campaign, CampaignRecipient, CampaignStatus, PromoMode, RecipientStatus, Unsubscribe
from crm.campaigns.sending import BatchResult, RowMarks, claim_batch, send_due
from crm.campaigns.services import CampaignError, change_campaign_status, schedule_campaign
from crm.campaigns.tokens import read_click
from storefront.account.models import Consent, ConsentKind
from storefront.db import utcnow
from storefront.mail import MailServerUnavailable
from storefront.promo.models import PromoCode
from tests.support import factories
from tests.support.metrics import sample
from tests.support.network import free_port

OUTCOMES = ("sent", "retry", "failed")


def _settings(app: Flask, **overrides: object):
    return factories.sender_settings(app, cap_messages=100, **overrides)


def _start(session: Session, campaign: Campaign) -> None:
    schedule_campaign(session, campaign, utcnow(), utcnow())


def _recipients(session: Session, campaign: Campaign) -> list[CampaignRecipient]:
    session.expire_all()
    return list(session.scalars(select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign.id)))


def test_only_consenting_buyers_get_the_campaign_with_unsubscribe_headers_russian_text_and_utm_links(
    app: Flask, session: Session, mailbox
) -> None:
    factories.create_recipient(session, "anna@example.ru", "Анна Смирнова")
    factories.create_recipient(session, "boris@example.ru", "Борис Иванов", marketing=False)
    withdrawn = factories.create_recipient(session, "vera@example.ru", "Вера Котова")
    for consent in withdrawn.consents:
        consent.withdrawn_at = utcnow()
    session.commit()
    campaign = factories.create_campaign(session, advertiser="ООО «Мостик», ИНН 7801123455", erid="2SDnjeVnM9Q")
    _start(session, campaign)
    with app.app_context():
        result = send_due(session, factories.sender_settings(app))
    assert result.sent == 1
    assert [m["To"] for m in mailbox.messages] == ["anna@example.ru"]
    message = mailbox.messages[0]
    assert message["Subject"] == "Анна, скидки на обувь"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")  # browser tests point it at their live server
    assert message["List-Unsubscribe"].startswith(f"<{base}/c/u/")
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "Здравствуйте, Анна!" in html and "Здравствуйте, Анна!" in text
    assert "Реклама. Рекламодатель: ООО «Мостик», ИНН 7801123455. erid: 2SDnjeVnM9Q" in text
    assert "erid: 2SDnjeVnM9Q" in html and "Отписаться" in html
    assert "https://shop.example.ru" not in html  # every link goes through our click redirect
    click_paths = [part for part in text.split() if "/c/c/" in part]
    assert click_paths
    _recipient, target = read_click("test-secret-key", click_paths[0].rsplit("/", 1)[1])
    query = parse_qs(urlsplit(target).query)
    assert query == {
        "sort": ["new"],
        "utm_source": ["mostik"],
        "utm_medium": ["email"],
        "utm_campaign": [campaign.slug],
    }
    session.expire_all()
    assert session.get(Campaign, campaign.id).status == CampaignStatus.SENT


def test_one_click_unsubscribe_withdraws_consent_at_once_is_recorded_and_idempotent(
    app: Flask, session: Session, client, mailbox
) -> None:
    buyer = factories.create_recipient(session, "anna@example.ru")
    first = factories.create_campaign(session)
    session.commit()
    _start(session, first)
    with app.app_context():
        send_due(session, factories.sender_settings(app))
    header = mailbox.messages[0]["List-Unsubscribe"]
    path = urlsplit(header.strip("<>").split(">")[0]).path
    page = client.get(path)
    assert page.status_code == 200 and "Отписаться от предложений Мостика?" in page.get_data(as_text=True)
    for _ in range(2):
        response = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
    session.expire_all()
    assert all(
        c.withdrawn_at is not None
        for c in session.get(type(buyer), buyer.id).consents
        if c.kind == ConsentKind.MARKETING
    )
    records = session.scalars(select(Unsubscribe)).all()
    assert len(records) == 1 and records[0].method == "one_click" and records[0].buyer_id == buyer.id
    assert "Вы отписались" in client.get(path).get_data(as_text=True)
    # The next campaign does not reach them.
    mailbox.messages.clear()
    second = factories.create_campaign(session, name="Вторая")
    session.commit()
    _start(session, second)
    with app.app_context():
        send_due(session, factories.sender_settings(app))
    assert mailbox.messages == []


def test_a_forged_unsubscribe_or_click_token_is_a_400_page_and_never_a_redirect(client) -> None:
    for path in ("/c/u/WzEsImh0dHBzOi8vZXZpbC5leGFtcGxlIl0.forged", "/c/c/WzEsImh0dHBzOi8vZXZpbC5leGFtcGxlIl0.forged"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "Location" not in response.headers
        assert "Ссылка повреждена" in response.get_data(as_text=True)
    assert client.post("/c/u/forged").status_code == 400


def test_clicks_and_opens_are_recorded_and_the_click_is_remembered_for_attribution(
    app: Flask, session: Session, client, mailbox
) -> None:
    factories.create_recipient(session, "anna@example.ru")
    campaign = factories.create_campaign(session)
    session.commit()
    _start(session, campaign)
    with app.app_context():
        send_due(session, factories.sender_settings(app))
    html = mailbox.messages[0].get_body(("html",)).get_content()
    pixel = html.split('<img src="')[1].split('"')[0]
    link = html.split('<a href="')[1].split('"')[0]
    assert "/c/c/" in link
    opened = client.get(urlsplit(pixel).path)
    assert opened.status_code == 200 and opened.mimetype == "image/gif"
    clicked = client.get(urlsplit(link).path)
    assert clicked.status_code == 302
    assert clicked.location.startswith("https://shop.example.ru/catalog/obuv?sort=new&utm_source=mostik")
    client.get(urlsplit(link).path)
    (recipient,) = _recipients(session, campaign)
    assert (recipient.open_count, recipient.click_count) == (1, 2)
    assert recipient.first_opened_at is not None and recipient.first_clicked_at is not None
    with client.session_transaction() as cookie_session:
        assert cookie_session["last_campaign_click"][0] == campaign.id


def test_a_sender_crash_mid_batch_and_a_restart_send_each_recipient_exactly_once(
    app: Flask, session: Session, mailbox
) -> None:
    emails = [f"buyer{n}@example.ru" for n in range(6)]
    for email in emails:
        factories.create_recipient(session, email)
    campaign = factories.create_campaign(session)
    _start(session, campaign)
    settings = _settings(app, lease_seconds=300)
    mailbox.drop_on = 3
    now = utcnow()
    with app.app_context(), pytest.raises(Exception):  # noqa: B017 - the connection drop escapes like a crash
        send_due(session, settings, now)
    session.rollback()
    assert len(mailbox.messages) == 2
    statuses = sorted(r.status for r in _recipients(session, campaign))
    # The message in flight may have gone: it stays claimed; the three not tried are given back.
    assert statuses == ["pending"] * 3 + ["sending"] + ["sent"] * 2
    # A second sender within the lease sends those three, not the one in flight.
    with app.app_context():
        assert send_due(session, settings, now + timedelta(seconds=10)).sent == 3
    # After the lease the restarted sender sends the last one, once.
    with app.app_context():
        assert send_due(session, settings, now + timedelta(seconds=301)).sent == 1
        assert send_due(session, settings, now + timedelta(seconds=900)).sent == 0
    delivered = sorted(m["To"] for m in mailbox.messages)
    assert delivered == sorted(emails)
    assert all(r.status == RecipientStatus.SENT for r in _recipients(session, campaign))


def test_each_message_goes_out_only_after_the_one_before_is_committed_as_sent(
    app: Flask, session: Session, mailbox
) -> None:
    """The mark of a message (sent without waiting for its reply on PostgreSQL) is committed before the next message
    reaches the mail server: a crash can double at most the one message in flight."""
    emails = [f"buyer{n}@example.ru" for n in range(6)]
    for email in emails:
        factories.create_recipient(session, email)
    campaign = factories.create_campaign(session)
    _start(session, campaign)
    engine = session.get_bind().engine
    committed_at_arrival: list[tuple[str, set[str]]] = []

    def hold_row(email: str, locked: threading.Event) -> None:
        """Lock the row for half a second (PostgreSQL): its mark waits, so a sender that did not wait for the mark
        before the next message would be caught."""
        with engine.connect() as other:
            row = CampaignRecipient.__table__.c
            other.execute(select(row.id).where(row.email == email).with_for_update())
            locked.set()
            time.sleep(0.5)
            other.commit()

    def look(recipients: list[str]) -> None:
        if not committed_at_arrival:
            locked = threading.Event()
            threading.Thread(target=hold_row, args=(recipients[0], locked)).start()
            locked.wait(5)
        with engine.connect() as other:  # another connection: sees only what is committed
            sent = other.scalars(
                select(CampaignRecipient.email).where(
                    CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status == RecipientStatus.SENT
                )
            )
            committed_at_arrival.append((recipients[0], set(sent)))

    mailbox.on_data = look
    with app.app_context():
        assert send_due(session, _settings(app)).sent == 6
    arrived = [to for to, _ in committed_at_arrival]
    assert sorted(arrived) == sorted(emails)
    for number, (_, committed) in enumerate(committed_at_arrival):
        assert committed == set(arrived[:number])
    assert {r.email for r in _recipients(session, campaign) if r.status == RecipientStatus.SENT} == set(emails)


@pytest.mark.parametrize("refusal", ["451", "no server"])
def test_an_hour_of_smtp_refusals_loses_no_campaign_message_and_then_sends_each_once(
    app: Flask, session: Session, mailbox, refusal: str
) -> None:
    emails = [f"buyer{n}@example.ru" for n in range(4)]
    for email in emails:
        factories.create_recipient(session, email)
    campaign = factories.create_campaign(session)
    _start(session, campaign)
    settings = _settings(app)  # the defaults: 3 attempts, 10 minutes between, a 10-minute lease
    if refusal == "451":
        mailbox.answer = "451 4.7.1 Try again later"
    else:
        settings = dataclasses.replace(settings, mail=dataclasses.replace(settings.mail, port=free_port()))
    now = utcnow()
    with app.app_context():
        for minute in range(0, 61, 5):
            try:
                send_due(session, settings, now + timedelta(minutes=minute))
            except MailServerUnavailable:
                session.rollback()
                assert refusal == "no server"
    assert mailbox.messages == []
    rows = _recipients(session, campaign)
    assert [(r.status, r.attempts) for r in rows] == [(RecipientStatus.PENDING, 0)] * 4
    assert refusal != "451" or all("451" in (r.last_error or "") for r in rows)

    mailbox.answer = None
    with app.app_context():
        back = _settings(app)
        assert send_due(session, back, now + timedelta(minutes=75)).sent == 4
        assert send_due(session, back, now + timedelta(minutes=120)).sent == 0
    assert sorted(m["To"] for m in mailbox.messages) == emails
    assert all(r.status == RecipientStatus.SENT for r in _recipients(session, campaign))


def test_a_refused_recipient_is_recorded_and_retried_a_bounded_number_of_times(
    app: Flask, session: Session, mailbox
) -> None:
    factories.create_recipient(session, "good@example.ru")
    factories.create_recipient(session, "bad@example.ru")
    campaign = factories.create_campaign(session)
    _start(session, campaign)
    mailbox.refuse.add("bad@example.ru")
    settings = _settings(app, max_attempts=2, retry_minutes=10)
    now = utcnow()
    counted = {outcome: sample("mostik_campaign_messages_total", outcome=outcome) for outcome in OUTCOMES}
    with app.app_context():
        assert send_due(session, settings, now) == BatchResult(sent=1, failed=1)
        bad = next(r for r in _recipients(session, campaign) if r.email == "bad@example.ru")
        assert (bad.status, bad.attempts) == (RecipientStatus.PENDING, 1)
        assert "550" in bad.last_error
        assert send_due(session, settings, now + timedelta(minutes=1)) == BatchResult()  # backoff
        assert send_due(session, settings, now + timedelta(minutes=11)) == BatchResult(failed=1)
        assert send_due(session, settings, now + timedelta(hours=5)) == BatchResult()
    bad = next(r for r in _recipients(session, campaign) if r.email == "bad@example.ru")
    assert (bad.status, bad.attempts) == (RecipientStatus.FAILED, 2)
    assert [m["To"] for m in mailbox.messages] == ["good@example.ru"]
    session.expire_all()
    assert session.get(Campaign, campaign.id).status == CampaignStatus.SENT
    # /metrics: one sent, one refused and retried, then given up.
    assert {o: sample("mostik_campaign_messages_total", outcome=o) - counted[o] for o in OUTCOMES} == {
        "sent": 1,
        "retry": 1,
        "failed": 1,
    }


def test_the_control_group_is_held_out_deterministically_and_never_mailed(
    app: Flask, session: Session, mailbox
) -> None:
    for n in range(40):
        factories.create_recipient(session, f"b{n}@example.ru")
    campaign = factories.create_campaign(session, control_percent=25)
    _start(session, campaign)
    with app.app_context():
        send_due(session, factories.sender_settings(app, batch_size=100))
    rows = _recipients(session, campaign)
    control = {r.buyer_id for r in rows if r.is_control}
    assert all(r.status == RecipientStatus.CONTROL for r in rows if r.is_control)
    assert 0 < len(control) < 40
    assert len(mailbox.messages) == 40 - len(control)
    expected = {r.buyer_id for r in rows if (r.buyer_id * 7919 + campaign.id * 104729) % 100 < 25}
    assert control == expected


def test_unique_promo_codes_one_per_mailed_recipient_and_a_shared_code_once(
    app: Flask, session: Session, mailbox
) -> None:
    for n in range(3):
        factories.create_recipient(session, f"b{n}@example.ru")
    unique = factories.create_campaign(session, promo_mode=PromoMode.UNIQUE, promo_percent_bp=1000)
    _start(session, unique)
    with app.app_context():
        send_due(session, factories.sender_settings(app))
    codes = {r.promo_code for r in _recipients(session, unique)}
    assert len(codes) == 3 and None not in codes
    promos = session.scalars(select(PromoCode).where(PromoCode.campaign_id == unique.id)).all()
    assert {p.code for p in promos} == codes and all(p.usage_limit == 1 and p.percent_bp == 1000 for p in promos)
    for message in mailbox.messages:
        recipient_code = next(r.promo_code for r in _recipients(session, unique) if r.email == message["To"])
        assert f"Ваш промокод: {recipient_code}" in message.get_body(("html",)).get_content()
    shared = factories.create_campaign(
        session, name="Общий", promo_mode=PromoMode.SHARED, promo_percent_bp=500, shared_code="osen5"
    )
    _start(session, shared)
    with app.app_context():
        send_due(session, factories.sender_settings(app))
    assert session.scalars(select(PromoCode).where(PromoCode.code == "OSEN5")).one().campaign_id == shared.id


def test_transitions_are_checked_in_one_place(app: Flask, session: Session) -> None:
    factories.create_recipient(session, "anna@example.ru")
    campaign = factories.create_campaign(session)
    session.commit()  # a refused change rolls the session back
    with pytest.raises(CampaignError):
        change_campaign_status(session, campaign, CampaignStatus.PAUSED)  # a draft is not sending
    with pytest.raises(CampaignError):
        schedule_campaign(session, campaign, utcnow() - timedelta(hours=1), utcnow())
    schedule_campaign(session, campaign, utcnow() + timedelta(hours=1), utcnow())
    change_campaign_status(session, campaign, CampaignStatus.DRAFT)
    assert campaign.status == CampaignStatus.DRAFT and campaign.scheduled_at is None
    change_campaign_status(session, campaign, CampaignStatus.CANCELED)
    with pytest.raises(CampaignError):
        schedule_campaign(session, campaign, utcnow(), utcnow())
    assert session.scalars(select(Consent)).all()  # the buyer's consent is untouched


def test_a_recipient_whose_data_breaks_the_template_fails_alone_and_the_others_get_the_campaign(
    app: Flask, session: Session, mailbox
) -> None:
    factories.create_recipient(session, "ivan@example.ru", "Иван Петров")
    factories.create_recipient(session, "anna@example.ru", "Анна")  # one word: no second part to show
    factories.create_recipient(session, "oleg@example.ru", "Олег Сидоров")
    campaign = factories.create_campaign(session, body_html="<p>Уважаемый {{ buyer.name.split()[1] }}!</p>")
    _start(session, campaign)
    with app.app_context():
        assert send_due(session, _settings(app), utcnow()) == BatchResult(sent=2, failed=1)
    by_email = {r.email: r for r in _recipients(session, campaign)}
    assert by_email["anna@example.ru"].status == RecipientStatus.FAILED
    assert "шаблон" in by_email["anna@example.ru"].last_error.lower()
    assert sorted(m["To"] for m in mailbox.messages) == ["ivan@example.ru", "oleg@example.ru"]
    session.expire_all()
    assert session.get(Campaign, campaign.id).status == CampaignStatus.SENT


@pytest.mark.postgres_only
def test_a_mark_the_database_refuses_is_raised_when_it_is_settled(app: Flask, session: Session) -> None:
    """PostgreSQL marks go out without waiting: a refusal surfaces at ``settled`` (before the next message), and the
    connection is usable again afterwards."""
    factories.create_recipient(session, "buyer@example.ru")
    campaign = factories.create_campaign(session)
    _start(session, campaign)
    with app.app_context():
        start_due_campaigns(session, utcnow())
        token = claim_batch(session, campaign.id, utcnow(), 10, _settings(app))
    (row,) = _recipients(session, campaign)
    with RowMarks(session) as marks:
        marks.finish(token, row.id, status="lost")  # not a status: the CHECK constraint refuses it
        with pytest.raises(psycopg.DatabaseError, match="status_known"):
            marks.settled()
        marks.finish(token, row.id, status=RecipientStatus.SENT.value, sent_at=utcnow())
    assert _recipients(session, campaign)[0].status == RecipientStatus.SENT


@pytest.mark.postgres_only
def test_two_senders_claiming_at_once_get_disjoint_batches(app: Flask, session: Session) -> None:
    """Two claims released together: one takes five rows, the other the three left (skipping rows the first holds),
    and no row is in both."""
    for number in range(8):
        factories.create_recipient(session, f"buyer{number}@example.ru")
    campaign = factories.create_campaign(session)
    _start(session, campaign)
    settings, now = _settings(app), utcnow()
    with app.app_context():
        start_due_campaigns(session, now)
    engine, campaign_id = session.get_bind().engine, campaign.id
    barrier = threading.Barrier(2)
    tokens: list[str] = []

    def claim() -> None:
        with Session(engine) as own:
            barrier.wait(5)
            tokens.append(claim_batch(own, campaign_id, now, 5, settings))

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    claimed = Counter(row.claim_token for row in _recipients(session, campaign))
    assert sorted(claimed[token] for token in tokens) == [3, 5]

"""A/B test of campaign subjects: split sizes (with the control group), the winner by each metric and on ties, the
rest sent once with the winner's subject through the real SMTP sink, two job runners racing on PostgreSQL, the
form's checks in Russian, Telegram refused, the report per variant."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.campaigns.ab_test import VariantFigures, ab_split, decide_due_tests, pick_winner
from crm.campaigns.audience import start_due_campaigns
from crm.campaigns.models import AbMetric, Campaign, CampaignRecipient, CampaignStatus, Channel, RecipientStatus
from crm.campaigns.sending import send_due
from crm.campaigns.services import CampaignError, schedule_campaign
from storefront.db import utcnow
from tests.support import factories
from tests.support.factories import make_staff, paid_order
from tests.support.web import crm_csrf, crm_login, crm_sign_in_as

CR = CampaignRecipient
R = RecipientStatus
SUBJECT_B = "{{ buyer.first_name }}, только сегодня: −20 %"


@pytest.mark.parametrize(
    ("n", "percent", "a", "b"),
    [
        (0, 20, 0, 0),
        (1, 50, 0, 0),  # 50 % of one recipient is no whole recipient: nobody in the test, all wait (a tie → A)
        (2, 50, 1, 0),
        (3, 50, 1, 0),  # floor(1.5) = 1
        (4, 50, 1, 1),
        (9, 10, 0, 0),
        (10, 10, 1, 0),
        (10, 20, 1, 1),
        (11, 30, 2, 1),  # floor(3.3) = 3: A gets the odd one
        (17, 30, 3, 2),  # floor(5.1) = 5
        (99, 25, 12, 12),  # floor(24.75) = 24
        (101, 50, 25, 25),  # floor(50.5) = 50
        (1001, 33, 165, 165),  # floor(330.33) = 330
        (1003, 15, 75, 75),  # floor(150.45) = 150
    ],
)
def test_split_sizes_floor_the_share_and_give_a_the_odd_one(n: int, percent: int, a: int, b: int) -> None:
    assert ab_split(n, percent) == (a, b)


@given(st.integers(0, 1_000_000), st.integers(10, 50))
def test_split_sizes_hold_for_any_segment(n: int, percent: int) -> None:
    a, b = ab_split(n, percent)
    assert a + b == n * percent // 100  # the test share, rounded down
    assert a - b in (0, 1)  # half and half; A gets the odd one
    assert a + b <= n


def _buyers(session: Session, count: int) -> None:
    for i in range(count):
        factories.create_recipient(session, f"buyer{i}@example.ru", f"Покупатель{i} Тестов")


def _ab_campaign(session: Session, **overrides: object) -> Campaign:
    fields: dict[str, object] = {"subject_b": SUBJECT_B, "ab_percent": 20, "ab_wait_hours": 4, **overrides}
    campaign = factories.create_campaign(session, **fields)
    session.commit()
    return campaign


def _start(session: Session, campaign: Campaign) -> None:
    schedule_campaign(session, campaign, utcnow(), utcnow())
    session.commit()


def _statuses(session: Session, campaign: Campaign) -> Counter[tuple[str, str]]:
    session.expire_all()
    rows = session.execute(select(CR.variant, CR.status).where(CR.campaign_id == campaign.id)).all()
    return Counter((variant, status) for variant, status in rows)


@pytest.mark.parametrize(("segment", "control", "percent"), [(13, 20, 30), (17, 0, 50), (7, 10, 10), (30, 50, 25)])
def test_at_the_start_the_test_share_gets_a_and_b_after_the_control_group_and_the_rest_is_held(
    app: Flask, session: Session, mailbox, segment: int, control: int, percent: int
) -> None:
    _buyers(session, segment)
    campaign = _ab_campaign(session, control_percent=control, ab_percent=percent)
    _start(session, campaign)
    with app.app_context():
        send_due(session, factories.sender_settings(app, cap_messages=100), now=utcnow())
    counts = _statuses(session, campaign)
    controls = counts[("", R.CONTROL.value)]
    mailed = segment - controls
    a, b = ab_split(mailed, percent)
    assert counts[("A", R.SENT.value)] == a and counts[("B", R.SENT.value)] == b
    assert counts[("", R.HELD.value)] == mailed - a - b
    assert sum(counts.values()) == segment
    session.expire_all()
    assert session.get(Campaign, campaign.id).status == CampaignStatus.SENDING  # the rest still waits


def _figures(variant: str, delivered: int, opened: int = 0, clicked: int = 0, revenue: str = "0") -> VariantFigures:
    return VariantFigures(
        variant=variant,
        recipients=delivered,
        delivered=delivered,
        opened=opened,
        clicked=clicked,
        revenue=Decimal(revenue),
    )


@pytest.mark.parametrize(
    ("metric", "a", "b", "winner"),
    [
        (AbMetric.OPENS, _figures("A", 10, opened=3), _figures("B", 10, opened=4), "B"),
        (AbMetric.OPENS, _figures("A", 10, opened=4), _figures("B", 10, opened=3), "A"),
        (AbMetric.OPENS, _figures("A", 10, opened=3), _figures("B", 9, opened=3), "B"),  # a rate, not a count
        (AbMetric.OPENS, _figures("A", 10, opened=4), _figures("B", 5, opened=2), "A"),  # 40 % each: a tie → A
        (AbMetric.OPENS, _figures("A", 0), _figures("B", 0), "A"),  # nothing delivered: a tie → A
        (AbMetric.OPENS, _figures("A", 0), _figures("B", 3, opened=1), "B"),
        (AbMetric.CLICKS, _figures("A", 10, opened=9, clicked=1), _figures("B", 10, opened=1, clicked=2), "B"),
        (AbMetric.CLICKS, _figures("A", 10, clicked=2), _figures("B", 10, clicked=2), "A"),
        (AbMetric.REVENUE, _figures("A", 10, revenue="1000.00"), _figures("B", 10, revenue="1000.01"), "B"),
        (AbMetric.REVENUE, _figures("A", 10, clicked=5, revenue="500"), _figures("B", 5, revenue="250"), "A"),
        (AbMetric.REVENUE, _figures("A", 4, revenue="0"), _figures("B", 4, revenue="0"), "A"),
    ],
)
def test_the_winner_by_each_metric_and_ties_go_to_a(
    metric: AbMetric, a: VariantFigures, b: VariantFigures, winner: str
) -> None:
    assert pick_winner(metric, a, b) == winner


def _rows(session: Session, campaign: Campaign, variant: str) -> list[CampaignRecipient]:
    session.expire_all()
    return list(session.scalars(select(CR).where(CR.campaign_id == campaign.id, CR.variant == variant).order_by(CR.id)))


@pytest.mark.parametrize("metric", list(AbMetric))
def test_the_job_picks_b_by_its_metric_from_the_recorded_figures_and_sends_the_rest_once_with_subject_b(
    app: Flask, session: Session, mailbox, metric: AbMetric
) -> None:
    _buyers(session, 20)
    campaign = _ab_campaign(session, ab_percent=40, ab_metric=metric)  # 8 in the test: 4 A, 4 B, 12 held
    _start(session, campaign)
    settings = factories.sender_settings(app, cap_messages=100)
    with app.app_context():
        assert send_due(session, settings).sent == 8
    subjects = Counter(" ".join(m["Subject"].split(", ", 1)[1:]) for m in mailbox.messages)
    assert subjects == {"скидки на обувь": 4, "только сегодня: −20 %": 4}
    b_rows, a_rows = _rows(session, campaign, "B"), _rows(session, campaign, "A")
    now = utcnow()
    # B: two openers, one clicker, one paid order credited to the campaign; A: one opener, nothing else.
    session.execute(update(CR).where(CR.id.in_([b_rows[0].id, b_rows[1].id])).values(first_opened_at=now))
    session.execute(update(CR).where(CR.id == b_rows[0].id).values(first_clicked_at=now))
    session.execute(update(CR).where(CR.id == a_rows[0].id).values(first_opened_at=now))
    paid_order(session, b_rows[0].buyer_id, "7500.00").campaign_id = campaign.id
    paid_order(session, a_rows[1].buyer_id, "100.00").campaign_id = None  # not credited: does not count
    session.commit()
    assert decide_due_tests(session, now + timedelta(hours=3, minutes=59)) == []  # the wait is not over
    assert decide_due_tests(session, now + timedelta(hours=4, minutes=1)) == [(campaign.id, "B")]
    assert decide_due_tests(session, now + timedelta(hours=5)) == []  # once
    session.expire_all()
    decided = session.get(Campaign, campaign.id)
    assert decided.ab_winner == "B" and decided.ab_decided_at is not None
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.ab_winner")).all()
    assert len(entries) == 1 and entries[0].target_id == str(campaign.id) and entries[0].staff_id is None
    assert "winner B" in entries[0].detail and "12 released" in entries[0].detail
    mailbox.messages.clear()
    with app.app_context():
        assert send_due(session, settings).sent == 12
        assert send_due(session, settings).sent == 0
    rest = _rows(session, campaign, "")
    assert sorted(m["To"] for m in mailbox.messages) == sorted(row.email for row in rest)
    assert all(m["Subject"].endswith("только сегодня: −20 %") for m in mailbox.messages)
    session.expire_all()
    assert session.get(Campaign, campaign.id).status == CampaignStatus.SENT


def test_a_tie_sends_the_rest_subject_a(app: Flask, session: Session, mailbox) -> None:
    _buyers(session, 10)
    campaign = _ab_campaign(session, ab_percent=20)
    _start(session, campaign)
    settings = factories.sender_settings(app, cap_messages=100)
    with app.app_context():
        send_due(session, settings)
    assert decide_due_tests(session, utcnow() + timedelta(hours=5)) == [(campaign.id, "A")]
    mailbox.messages.clear()
    with app.app_context():
        assert send_due(session, settings).sent == 8
    assert all(m["Subject"].endswith("скидки на обувь") for m in mailbox.messages)


@pytest.mark.postgres_only
def test_two_job_runners_racing_record_one_winner_and_the_rest_is_sent_once(
    app: Flask, session: Session, mailbox
) -> None:
    _buyers(session, 30)
    campaign = _ab_campaign(session, ab_percent=20)  # 3 A, 3 B, 24 held
    _start(session, campaign)
    settings = factories.sender_settings(app, cap_messages=100)
    with app.app_context():
        assert send_due(session, settings).sent == 6
    b_row = _rows(session, campaign, "B")[0]
    session.execute(update(CR).where(CR.id == b_row.id).values(first_opened_at=utcnow()))
    session.commit()
    engine, later = session.get_bind(), utcnow() + timedelta(hours=5)
    for attempt in range(5):  # the race is repeated: each time exactly one runner decides
        if attempt:
            session.execute(update(Campaign).where(Campaign.id == campaign.id).values(ab_winner=None))
            session.execute(update(CR).where(CR.campaign_id == campaign.id, CR.variant == "").values(status="held"))
            session.execute(AuditEntry.__table__.delete())
            session.commit()
        barrier = threading.Barrier(2, timeout=60)
        outcomes: list[object] = []

        def run(barrier: threading.Barrier = barrier, outcomes: list[object] = outcomes) -> None:
            with Session(engine) as own:
                try:
                    barrier.wait()
                    outcomes.append(decide_due_tests(own, later))
                except Exception as error:  # shown by the assertion below
                    outcomes.append(repr(error))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes, key=len) == [[], [(campaign.id, "B")]], outcomes
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1
        held = session.scalar(select(func.count()).where(CR.campaign_id == campaign.id, CR.status == "held"))
        assert held == 0
    mailbox.messages.clear()
    with app.app_context():
        assert send_due(session, settings).sent == 24
        assert send_due(session, settings).sent == 0
    assert len({m["To"] for m in mailbox.messages}) == len(mailbox.messages) == 24
    assert all(m["Subject"].endswith("только сегодня: −20 %") for m in mailbox.messages)


def test_a_telegram_campaign_refuses_an_ab_test(session: Session) -> None:
    with pytest.raises(CampaignError) as refused:
        factories.create_campaign(session, channel=Channel.TELEGRAM, subject_b=SUBJECT_B, ab_percent=20)
    assert refused.value.reason == "ab_telegram"
    for bad in ({"subject_b": "  "}, {"ab_percent": 5}, {"ab_percent": 51}, {"ab_wait_hours": 0}):
        with pytest.raises(CampaignError):
            factories.create_campaign(session, **{"subject_b": SUBJECT_B, "ab_percent": 20, **bad})


def _form(csrf: str, segment_id: int, **overrides: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "name": "Зимняя обувь",
        "segment_id": str(segment_id),
        "subject": "{{ buyer.first_name }}, зима близко",
        "body_mode": "html",
        "body_html": factories.BODY_HTML,
        "body_text": factories.BODY_TEXT,
        "promo_mode": "none",
        "control_percent": "10",
        "channel": "email",
        "ab_test": "y",
        "subject_b": "Зима близко: тёплая обувь",
        "ab_percent": "20",
        "ab_metric": "clicks",
        "ab_wait_hours": "6",
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subject_b": "  "}, "Укажите тему B для A/B-теста."),
        ({"ab_percent": "5"}, "Доля A/B-теста должна быть от 10 до 50 процентов."),
        ({"ab_percent": "60"}, "Доля A/B-теста должна быть от 10 до 50 процентов."),
        ({"ab_percent": ""}, "Доля A/B-теста должна быть от 10 до 50 процентов."),
        ({"ab_wait_hours": "0"}, "Победитель выбирается через 1–168 ч"),
        ({"ab_wait_hours": "200"}, "Победитель выбирается через 1–168 ч"),
        ({"subject_b": "{{ buyer.__class__ }}"}, "такое выражение в шаблоне рассылки запрещено"),
    ],
)
def test_the_form_refuses_a_bad_ab_test_in_russian_with_a_400_and_saves_nothing(
    session: Session, client: FlaskClient, overrides: dict[str, str], message: str
) -> None:
    crm_sign_in_as(session, client)
    segment = factories.create_segment(session)
    session.commit()
    csrf = crm_csrf(client, "/crm/campaigns/new")
    refused = client.post("/crm/campaigns/new", data=_form(csrf, segment.id, **overrides))
    assert refused.status_code == 400
    assert message in refused.get_data(as_text=True)
    assert session.scalars(select(Campaign)).all() == []


def test_the_form_saves_the_test_and_without_the_tick_none_and_the_report_shows_both_variants(
    app: Flask, session: Session, client: FlaskClient, mailbox
) -> None:
    crm_sign_in_as(session, client)
    segment = factories.create_segment(session)
    _buyers(session, 10)
    session.commit()
    csrf = crm_csrf(client, "/crm/campaigns/new")
    assert client.post("/crm/campaigns/new", data=_form(csrf, segment.id, control_percent="0")).status_code == 302
    campaign = session.scalars(select(Campaign)).one()
    assert (campaign.subject_b, campaign.ab_percent, campaign.ab_metric, campaign.ab_wait_hours) == (
        "Зима близко: тёплая обувь",
        20,
        "clicks",
        6,
    )
    edit = client.get(f"/crm/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'value="Зима близко: тёплая обувь"' in edit and "A/B-тест темы" in edit
    page = client.get(f"/crm/campaigns/{campaign.id}").get_data(as_text=True)
    assert "В тесте 20\xa0% получателей; победитель выбирается по переходам через 6 часов после старта." in page
    _start(session, campaign)
    with app.app_context():
        send_due(session, factories.sender_settings(app, cap_messages=100))
    page = client.get(f"/crm/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Его ждут 8 получателей." in page and "по переходам" in page
    assert page.count("1 письмо") == 2 and "0 заказов" in page and "0,00\xa0₽" in page
    decide_due_tests(session, utcnow() + timedelta(hours=7))
    page = client.get(f"/crm/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Победитель: тема A" in page and "остальным отправлена тема победителя" in page
    # Without the tick nothing of the test is kept.
    csrf = crm_csrf(client, "/crm/campaigns/new")
    form = _form(csrf, segment.id, name="Без теста", ab_percent="70000", ab_wait_hours="99999")
    del form["ab_test"]  # the test's fields are ignored, whatever they hold
    assert client.post("/crm/campaigns/new", data=form).status_code == 302
    plain = session.scalars(select(Campaign).where(Campaign.name == "Без теста")).one()
    assert (plain.subject_b, plain.ab_percent, plain.ab_wait_hours, plain.ab_test) == (None, 0, 4, False)


def test_the_audit_page_shows_the_jobs_decision_as_the_systems(
    app: Flask, session: Session, client: FlaskClient
) -> None:
    make_staff(session, "admin")
    _buyers(session, 10)
    campaign = _ab_campaign(session, ab_percent=20)
    _start(session, campaign)
    start_due_campaigns(session, utcnow())
    assert decide_due_tests(session, utcnow() + timedelta(hours=5)) == [(campaign.id, "A")]
    assert crm_login(client, "admin@mostik.local").status_code == 302
    page = client.get("/crm/audit/").get_data(as_text=True)
    assert "система (плановая задача)" in page and "Выбран победитель A/B-теста" in page


def test_a_bad_ab_test_on_an_existing_campaign_changes_nothing(session: Session, client: FlaskClient) -> None:
    crm_sign_in_as(session, client)
    campaign = _ab_campaign(session, ab_percent=30, ab_wait_hours=8)
    before = (campaign.name, campaign.subject, campaign.subject_b, campaign.ab_percent, campaign.ab_wait_hours)
    csrf = crm_csrf(client, f"/crm/campaigns/{campaign.id}/edit")
    form = _form(csrf, campaign.segment_id or 0, name="Другое имя", subject_b="", ab_percent="70", channel="telegram")
    refused = client.post(f"/crm/campaigns/{campaign.id}/edit", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    # Every mistake at once (a Telegram choice is not offered without a bot: refused as not a valid choice).
    assert "Укажите тему B для A/B-теста." in page and "Доля A/B-теста должна быть от 10 до 50 процентов." in page
    session.expire_all()
    kept = session.get(Campaign, campaign.id)
    assert (kept.name, kept.subject, kept.subject_b, kept.ab_percent, kept.ab_wait_hours) == before


def test_with_a_bot_configured_a_telegram_campaign_with_a_test_is_refused_on_the_form_in_russian(
    tg_app: Flask, session: Session
) -> None:
    client = tg_app.test_client()
    crm_sign_in_as(session, client)
    segment = factories.create_segment(session)
    session.commit()
    csrf = crm_csrf(client, "/crm/campaigns/new")
    refused = client.post("/crm/campaigns/new", data=_form(csrf, segment.id, channel="telegram"))
    assert refused.status_code == 400
    assert "A/B-тест темы доступен только для рассылок по e-mail: у сообщения в Telegram нет темы." in (
        refused.get_data(as_text=True)
    )
    assert session.scalars(select(Campaign)).all() == []
    form = _form(csrf, segment.id, channel="telegram")
    del form["ab_test"]  # without the test the same Telegram campaign is saved
    assert client.post("/crm/campaigns/new", data=form).status_code == 302
    assert session.scalars(select(Campaign.channel)).all() == ["telegram"]


def test_the_preview_shows_both_subjects_and_a_test_send_sends_one_of_each(
    session: Session, client: FlaskClient, mailbox
) -> None:
    crm_sign_in_as(session, client)
    buyer = factories.create_recipient(session, "anna@example.ru", "Анна Смирнова")
    campaign = _ab_campaign(session)
    preview = client.get(f"/crm/campaigns/{campaign.id}/preview?buyer_id={buyer.id}").get_data(as_text=True)
    assert "Тема A:</strong> Анна, скидки на обувь" in preview
    assert "Тема B:</strong> Анна, только сегодня: −20 %" in preview
    csrf = crm_csrf(client, f"/crm/campaigns/{campaign.id}")
    sent = client.post(
        f"/crm/campaigns/{campaign.id}/test",
        data={"csrf_token": csrf, "email": "marketer@mostik.local", "buyer_id": str(buyer.id)},
    )
    assert sent.status_code == 303
    assert [m["Subject"] for m in mailbox.messages] == [
        "[TEST A] Анна, скидки на обувь",
        "[TEST B] Анна, только сегодня: −20 %",
    ]
    assert session.scalars(select(CampaignRecipient)).all() == []

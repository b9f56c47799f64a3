"""Notes, tasks (due times in Moscow), the one timeline, «Мои клиенты» and the assignment scope on the card."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.buyers.queries import buyer_timeline
from crm.buyers.services import assign_managers
from crm.staff.models import Role, StaffUser
from crm.tiers.models import TierChange
from crm.tiers.services import recalc_tiers, seed_tiers, upgrade_on_payment
from crm.workspace.models import Note, Task, TaskStatus
from crm.workspace.queries import due_tasks
from crm.workspace.services import add_note, close_task, open_task
from storefront.account.models import Tier
from storefront.db import utcnow
from storefront.maillog import SentEmail
from storefront.moscow import MOSCOW, moscow_day_bounds, moscow_to_utc
from storefront.payment.models import Payment, Refund
from tests.support.factories import create_buyer, days_ago, make_staff, paid_order
from tests.support.web import crm_csrf, crm_login


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert crm_login(client, email).status_code == 302
    return client


def _manager_with_buyer(app: Flask, session: Session):
    buyer = create_buyer(session, email="mine@example.ru", phone="+79160000001", company=True)
    session.commit()
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    session.commit()
    assign_managers(session, [buyer.id], manager.id)
    session.commit()
    return buyer, manager, _client(app, manager.email)


def test_moscow_day_boundaries_decide_today_and_overdue(session: Session) -> None:
    buyer = create_buyer(session)
    manager = make_staff(session, Role.ACCOUNT_MANAGER)
    # 23:00 in Moscow on 26 November = 20:00 UTC: 23:30 Moscow is still today, 00:30 Moscow is tomorrow,
    # although both are on 26 November in UTC.
    now = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
    today = date(2026, 11, 26)
    due = {
        "late tonight": moscow_to_utc(datetime.combine(today, time(23, 30))),
        "after midnight": moscow_to_utc(datetime.combine(today + timedelta(days=1), time(0, 30))),
        "this morning": moscow_to_utc(datetime.combine(today, time(0, 0))),
        "yesterday night": moscow_to_utc(datetime.combine(today - timedelta(days=1), time(23, 59))),
    }
    assert due["after midnight"].date() == now.date()  # the case only Moscow boundaries get right
    for title, at in due.items():
        open_task(session, buyer_id=buyer.id, title=title, due_at=at, assignee_id=manager.id)
    done = open_task(session, buyer_id=buyer.id, title="done", due_at=due["this morning"], assignee_id=manager.id)
    session.commit()
    assert close_task(session, done.id, TaskStatus.DONE)
    session.commit()

    tasks = due_tasks(session, manager.id, now)
    assert [t.title for t in tasks.today] == ["this morning", "late tonight"]
    assert [t.title for t in tasks.overdue] == ["yesterday night"]
    assert moscow_day_bounds(now) == (
        datetime(2026, 11, 25, 21, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 21, 0, tzinfo=UTC),
    )


def test_a_manager_adds_notes_and_a_task_in_moscow_time_on_their_buyer(app: Flask, session: Session) -> None:
    buyer, manager, client = _manager_with_buyer(app, session)
    colleague = make_staff(session, Role.ADMIN, email="boss@mostik.local")
    session.commit()
    token = crm_csrf(client, f"/crm/buyers/{buyer.id}")
    for text in ("Первая заметка", "Вторая заметка"):
        response = client.post(f"/crm/buyers/{buyer.id}/notes", data={"csrf_token": token, "body": text})
        assert response.status_code == 302
    moscow_today = utcnow().astimezone(MOSCOW).date()
    data = {
        "csrf_token": token,
        "title": "Позвонить по счёту",
        "due_date": moscow_today.isoformat(),
        "due_time": "23:30",
        "assignee": str(colleague.id),
    }
    assert client.post(f"/crm/buyers/{buyer.id}/tasks", data=data).status_code == 302

    task = session.scalar(select(Task))
    assert task.due_at == datetime.combine(moscow_today, time(23, 30), tzinfo=MOSCOW).astimezone(UTC)
    assert (task.assignee_id, task.created_by_id, task.status) == (colleague.id, manager.id, TaskStatus.OPEN)
    html = client.get(f"/crm/buyers/{buyer.id}").get_data(as_text=True)
    assert html.index("Вторая заметка") < html.index("Первая заметка")  # newest first
    assert f"{moscow_today:%d.%m.%Y} 23:30" in html  # shown in Moscow time
    assert session.scalar(select(func.count()).select_from(Note)) == 2


def test_bad_note_and_task_input_is_a_400_in_russian_and_changes_nothing(app: Flask, session: Session) -> None:
    buyer, manager, client = _manager_with_buyer(app, session)
    token = crm_csrf(client, f"/crm/buyers/{buyer.id}")
    note = client.post(f"/crm/buyers/{buyer.id}/notes", data={"csrf_token": token, "body": "   "})
    assert note.status_code == 400
    assert "Напишите текст заметки." in note.get_data(as_text=True)
    good = {"csrf_token": token, "title": "Звонок", "due_date": "2030-01-01", "due_time": "10:00"}
    good["assignee"] = str(manager.id)
    for bad, message in (
        ({"title": ""}, "Напишите, что нужно сделать."),
        ({"due_date": "завтра"}, "Дата срока"),
        ({"due_time": "25:99"}, "Время срока"),
        ({"due_date": "1812-09-07"}, "Выберите дату между 2000 и 2100 годом."),
        ({"assignee": "999999"}, "Исполнитель"),
        ({"assignee": "кто-то"}, "Исполнитель"),
    ):
        response = client.post(f"/crm/buyers/{buyer.id}/tasks", data={**good, **bad})
        assert response.status_code == 400, bad
        assert message in response.get_data(as_text=True), bad
    assert client.post("/crm/buyers/999999/notes", data={"csrf_token": token, "body": "x"}).status_code == 404
    assert session.scalar(select(func.count()).select_from(Task)) == 0
    assert session.scalar(select(func.count()).select_from(Note)) == 0


def test_a_task_is_closed_once(app: Flask, session: Session) -> None:
    buyer, manager, client = _manager_with_buyer(app, session)
    task = open_task(session, buyer_id=buyer.id, title="Счёт", due_at=utcnow(), assignee_id=manager.id)
    session.commit()
    token = crm_csrf(client, f"/crm/buyers/{buyer.id}")
    assert client.post(f"/crm/tasks/{task.id}/close", data={"csrf_token": token, "status": "done"}).status_code == 302
    closed_at = session.scalar(select(Task.closed_at))
    again = client.post(f"/crm/tasks/{task.id}/close", data={"csrf_token": token, "status": "canceled"})
    assert again.status_code == 302
    session.expire_all()
    task = session.get(Task, task.id)
    assert (task.status, task.closed_at) == (TaskStatus.DONE, closed_at)
    bad = client.post(f"/crm/tasks/{task.id}/close", data={"csrf_token": token, "status": "open"})
    assert bad.status_code == 400
    assert client.post("/crm/tasks/999999/close", data={"csrf_token": token, "status": "done"}).status_code == 404


def test_a_manager_sees_other_managers_buyers_as_a_summary_without_forms(app: Flask, session: Session) -> None:
    buyer, manager, client = _manager_with_buyer(app, session)
    other = create_buyer(session, email="other@example.ru", phone="+79160000002", name="Сергей Другой")
    session.commit()
    add_note(session, buyer_id=other.id, author_id=None, body="Секретная заметка")
    session.commit()
    own = client.get(f"/crm/buyers/{buyer.id}").get_data(as_text=True)
    assert "mine@example.ru" in own and f"/crm/buyers/{buyer.id}/notes" in own and "/tasks" in own
    summary = client.get(f"/crm/buyers/{other.id}")
    html = summary.get_data(as_text=True)
    assert summary.status_code == 200
    assert "Сергей Другой" in html  # name, tier and manager stay visible
    for hidden in ("other@example.ru", "+79160000002", "Секретная заметка", "/notes", "/tasks", "Хронология"):
        assert hidden not in html, hidden
    token = crm_csrf(client, f"/crm/buyers/{buyer.id}")
    assert client.post(f"/crm/buyers/{other.id}/notes", data={"csrf_token": token, "body": "x"}).status_code == 403
    # An admin sees everything and may write.
    make_staff(session, Role.ADMIN)
    session.commit()
    admin = _client(app, "admin@mostik.local")
    assert "Секретная заметка" in admin.get(f"/crm/buyers/{other.id}").get_data(as_text=True)
    token = crm_csrf(admin, f"/crm/buyers/{other.id}")
    assert admin.post(f"/crm/buyers/{other.id}/notes", data={"csrf_token": token, "body": "ok"}).status_code == 302


def test_the_timeline_has_every_kind_newest_first(app: Flask, session: Session, mailbox) -> None:
    seed_tiers(session)
    session.commit()
    buyer, manager, client = _manager_with_buyer(app, session)
    order = paid_order(session, buyer.id, "400000.00", paid_at=days_ago(9), refunded="1000.00")
    session.commit()
    order.created_at = days_ago(10)
    session.get(Payment, session.scalar(select(Payment.id))).succeeded_at = days_ago(9)
    session.scalar(select(Refund)).updated_at = days_ago(8)
    session.commit()
    upgrade_on_payment(session, buyer.id, now=days_ago(7))
    session.scalar(select(TierChange)).created_at = days_ago(7)
    note = add_note(session, buyer_id=buyer.id, author_id=manager.id, body="Просит счёт")
    note.created_at = days_ago(6)
    task = open_task(session, buyer_id=buyer.id, title="Выставить счёт", due_at=days_ago(4), assignee_id=manager.id)
    task.created_at = days_ago(5)
    session.commit()
    close_task(session, task.id, TaskStatus.DONE, now=days_ago(4))
    session.commit()
    with app.app_context():
        from storefront.emails import queue_templated

        queue_templated(session, "password_reset", "MINE@example.ru", "Сброс пароля", buyer=buyer, link="http://x/")
        session.commit()
    assert len(mailbox.messages) == 1

    kinds = [event.kind for event in buyer_timeline(session, buyer.id)]
    assert kinds == ["email", "task_closed", "task_created", "note", "tier_change", "refund", "payment", "order_placed"]
    html = client.get(f"/crm/buyers/{buyer.id}").get_data(as_text=True)
    timeline = html[html.index('id="timeline"') :]
    rows = re.findall(r'class="crm-event crm-event-(\w+)"', timeline)
    assert rows == kinds
    assert "Отправлено письмо: Сброс пароля" in timeline and "Задача закрыта (Выполнена): Выставить счёт" in timeline


def test_sent_mail_is_logged_with_the_buyer_and_failures_are_not(app: Flask, session: Session, mailbox) -> None:
    buyer = create_buyer(session, email="anna@example.ru")
    session.commit()
    from storefront.emails import queue_templated
    from storefront.outbox import outbox_depth

    with app.app_context():
        queue_templated(session, "password_reset", "anna@example.ru", "Сброс", buyer=buyer, link="http://x/")
        queue_templated(session, "password_reset", "guest@example.ru", "Сброс", buyer=buyer, link="http://x/")
        session.commit()
        port = app.config["MAIL_PORT"]
        app.config["MAIL_PORT"] = 1  # nobody listens: not sent, not logged, waiting in the outbox
        try:
            queue_templated(session, "password_reset", "anna@example.ru", "Сброс", buyer=buyer, link="http://x/")
            session.commit()
        finally:
            app.config["MAIL_PORT"] = port
    assert outbox_depth(session) == 1
    rows = session.execute(select(SentEmail.buyer_id, SentEmail.to_address, SentEmail.kind).order_by(SentEmail.id))
    assert rows.all() == [(buyer.id, "anna@example.ru", "password_reset"), (None, "guest@example.ru", "password_reset")]


def test_my_clients_lists_buyers_tasks_and_near_tier_alerts(app: Flask, session: Session) -> None:
    seed_tiers(session)
    session.commit()
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    session.commit()
    near = create_buyer(session, email="near@example.ru", name="Почти Золото")
    far = create_buyer(session, email="far@example.ru", name="Далеко от Золота")
    base = create_buyer(session, email="base@example.ru", name="Стандартный")
    create_buyer(session, email="x@example.ru", name="Чужой Клиент")
    session.commit()
    paid_order(session, near.id, "1100000.00", paid_at=days_ago(3))  # 100 000 ₽ short of 1 200 000 (≤ 10 %)
    paid_order(session, far.id, "500000.00", paid_at=days_ago(200))
    paid_order(session, base.id, "290000.00", paid_at=days_ago(3))  # close to Серебро but not VIP yet
    session.commit()
    recalc_tiers(session)
    for buyer in (near, far, base):
        assign_managers(session, [buyer.id], manager.id)
        session.commit()
    now = utcnow()
    start, end = moscow_day_bounds(now)
    open_task(
        session,
        buyer_id=near.id,
        title="Сегодняшняя задача",
        due_at=end - timedelta(minutes=30),
        assignee_id=manager.id,
    )
    open_task(
        session, buyer_id=far.id, title="Просроченная задача", due_at=start - timedelta(hours=1), assignee_id=manager.id
    )
    open_task(
        session, buyer_id=far.id, title="Завтрашняя задача", due_at=end + timedelta(minutes=30), assignee_id=manager.id
    )
    session.commit()

    client = _client(app, manager.email)
    response = client.get("/crm/my")
    html = response.get_data(as_text=True).replace("\u00a0", " ")
    assert response.status_code == 200
    assert "Мои клиенты" in html
    for name in ("Почти Золото", "Далеко от Золота", "Стандартный"):
        assert name in html
    assert "Чужой Клиент" not in html
    today = html[html.index("Задачи на сегодня") :]
    overdue = html[html.index("Просроченные задачи") : html.index("Задачи на сегодня")]
    assert "Сегодняшняя задача" in today and "Просроченная задача" in overdue
    assert "Завтрашняя задача" not in html
    alerts = html[html.index('class="crm-near-tier"') : html.index('class="crm-past-reorder"')]
    assert "Почти Золото" in alerts and "до уровня Золото осталось 100 000 ₽" in alerts
    assert "Далеко от Золота" not in alerts and "Стандартный" not in alerts
    # «Далеко от Золота» (Серебро, one order 200 days ago) is past the expected reorder; the others ordered lately.
    past = html[html.index('class="crm-past-reorder"') : html.index('id="my-buyers"')]
    assert "Далеко от Золота" in past and "Почти Золото" not in past and "Стандартный" not in past
    assert html.index("Почти Золото", html.index('id="my-buyers"')) < html.index(
        "Далеко от Золота", html.index('id="my-buyers"')
    )

    # An admin opens any manager's page; a bad ?manager= is a 400 in Russian.
    make_staff(session, Role.ADMIN)
    session.commit()
    admin = _client(app, "admin@mostik.local")
    assert "Почти Золото" in admin.get(f"/crm/my?manager={manager.id}").get_data(as_text=True)
    for bad in ("abc", "999999", str(session.scalar(select(StaffUser.id).where(StaffUser.role == Role.ADMIN)))):
        response = admin.get(f"/crm/my?manager={bad}")
        assert response.status_code == 400
        assert "Выберите аккаунт-менеджера из списка." in response.get_data(as_text=True)
    assert session.scalar(select(Tier.name).where(Tier.code == "gold")) == "Золото"
    assert Decimal(app.config["CRM_NEAR_TIER_PERCENT"]) == 10

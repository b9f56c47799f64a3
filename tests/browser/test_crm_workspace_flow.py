"""An account manager signs in to the CRM, opens «Мои клиенты», opens a buyer card, adds a note and a task.
Screenshots of both pages are kept in test-artifacts/screenshots/."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.buyers.services import assign_managers
from crm.staff.models import Role
from crm.tiers.services import recalc_tiers, seed_tiers
from crm.workspace.models import Note, Task
from crm.workspace.services import open_task
from storefront.db import utcnow
from storefront.moscow import MOSCOW, moscow_day_bounds
from tests.support.factories import PASSWORD, create_buyer, days_ago, make_staff, paid_order

pytestmark = pytest.mark.browser


def test_a_manager_works_with_a_buyer_from_my_clients(page, shots, session):
    seed_tiers(session)
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    buyer = create_buyer(session, email="info@romashka.ru", name="Пётр Иванов", company=True)
    other = create_buyer(session, email="anna@example.ru", name="Анна Смирнова")
    session.commit()
    paid_order(session, buyer.id, "1100000.00", paid_at=days_ago(40))
    paid_order(session, other.id, "350000.00", paid_at=days_ago(200))
    session.commit()
    recalc_tiers(session)
    for each in (buyer, other):
        assign_managers(session, [each.id], manager.id)
    start, _ = moscow_day_bounds(utcnow())
    open_task(
        session,
        buyer_id=other.id,
        title="Уточнить реквизиты",
        due_at=start - timedelta(hours=3),
        assignee_id=manager.id,
    )
    session.commit()

    page.goto("/crm/login")
    page.fill("#email", manager.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Войти").click()
    page.get_by_role("link", name="Мои клиенты").click()
    page.wait_for_selector("#my-buyers")
    text = page.inner_text("main").replace("\u00a0", " ")
    assert "Уточнить реквизиты" in text  # overdue
    assert "до уровня Золото осталось 100 000 ₽" in text  # the near-tier alert
    shots(page, "my-clients")

    page.locator("#my-buyers").get_by_role("link", name="Пётр Иванов").click()
    page.wait_for_selector("#timeline")
    page.fill("#body", "Просит счёт на юрлицо, оплата через 5 дней")
    with page.expect_navigation():
        page.get_by_role("button", name="Добавить заметку").click()
    assert "Заметка добавлена." in page.inner_text("main")

    tomorrow = (utcnow().astimezone(MOSCOW) + timedelta(days=1)).date()
    page.fill("#title", "Позвонить по оплате")
    page.fill("#due_date", tomorrow.isoformat())
    page.fill("#due_time", "11:30")
    with page.expect_navigation():
        page.get_by_role("button", name="Создать задачу").click()
    main = page.inner_text("main")
    assert "Задача создана." in main
    assert f"{tomorrow:%d.%m.%Y} 11:30" in main
    assert "Просит счёт на юрлицо" in page.inner_text("#timeline")
    shots(page, "buyer-card")

    task = session.scalar(select(Task).where(Task.buyer_id == buyer.id))
    assert (task.title, task.assignee_id) == ("Позвонить по оплате", manager.id)
    assert session.scalar(select(Note.body)) == "Просит счёт на юрлицо, оплата через 5 дней"

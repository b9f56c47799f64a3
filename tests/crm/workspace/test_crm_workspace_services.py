"""Notes and tasks: an automatic task keyed by ``dedupe_key`` is opened once, however often a job asks."""

from datetime import timedelta

from sqlalchemy import func, select

from crm.workspace.models import Note, Task, TaskStatus
from crm.workspace.services import add_note, open_task
from storefront.db import utcnow
from tests.support.factories import create_buyer, make_staff


def test_open_task_with_a_key_opens_it_once(session):
    buyer = create_buyer(session)
    manager = make_staff(session, "account_manager")
    due = utcnow() + timedelta(days=1)
    first = open_task(
        session, buyer_id=buyer.id, title="Позвонить", due_at=due, assignee_id=manager.id, dedupe_key="k1"
    )
    again = open_task(
        session, buyer_id=buyer.id, title="Позвонить", due_at=due, assignee_id=manager.id, dedupe_key="k1"
    )
    other = open_task(session, buyer_id=buyer.id, title="Написать", due_at=due, assignee_id=manager.id, dedupe_key="k2")
    session.commit()

    assert first is not None and first.status == TaskStatus.OPEN
    assert again is None
    assert other is not None
    assert session.scalar(select(func.count()).select_from(Task)) == 2


def test_tasks_without_a_key_are_never_merged(session):
    buyer = create_buyer(session)
    due = utcnow()
    for _ in range(2):
        assert open_task(session, buyer_id=buyer.id, title="Звонок", due_at=due, assignee_id=None) is not None
    session.commit()
    assert session.scalar(select(func.count()).select_from(Task)) == 2


def test_add_note_strips_the_text(session):
    buyer = create_buyer(session)
    note = add_note(session, buyer_id=buyer.id, author_id=None, body="  Просит счёт на юрлицо \n")
    session.commit()
    assert session.get(Note, note.id).body == "Просит счёт на юрлицо"

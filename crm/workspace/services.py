"""Writing notes and tasks. Callers commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.workspace.models import Note, Task, TaskStatus
from storefront.db import rowcount, utcnow


def add_note(session: Session, *, buyer_id: int, author_id: int | None, body: str) -> Note:
    note = Note(buyer_id=buyer_id, author_id=author_id, body=body.strip())
    session.add(note)
    session.flush()
    return note


def open_task(
    session: Session,
    *,
    buyer_id: int,
    title: str,
    due_at: datetime,
    assignee_id: int | None,
    created_by_id: int | None = None,
    dedupe_key: str | None = None,
) -> Task | None:
    """Open a task; with ``dedupe_key``, at most one task ever exists for that key (None when it already did).

    The unique constraint decides, so two jobs racing for the same key open one task between them.
    """
    if dedupe_key is not None and session.scalar(select(Task.id).where(Task.dedupe_key == dedupe_key)):
        return None
    task = Task(
        buyer_id=buyer_id,
        title=title,
        due_at=due_at,
        assignee_id=assignee_id,
        created_by_id=created_by_id,
        dedupe_key=dedupe_key,
    )
    try:
        with session.begin_nested():
            session.add(task)
            session.flush()
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    return task


def close_task(session: Session, task_id: int, status: TaskStatus, now: datetime | None = None) -> bool:
    """Mark an open task done or canceled; False when it was already closed (a double click changes nothing).

    One conditional UPDATE, so two staff closing the same task at once close it once.
    """
    if status == TaskStatus.OPEN:
        raise ValueError("a task is closed as done or canceled")
    result = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == TaskStatus.OPEN)
        .values(status=status, closed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(rowcount(result))

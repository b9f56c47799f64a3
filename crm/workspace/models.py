"""Notes and tasks staff keep on buyers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.staff.models import StaffUser
from storefront.account.models import Buyer
from storefront.db import Base, utcnow


class Note(Base):
    """A free-text note on a buyer, shown on the card and in its timeline."""

    __tablename__ = "crm_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[StaffUser | None] = relationship()

    __table_args__ = (Index("ix_crm_notes_buyer", "buyer_id", "created_at"),)


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELED = "canceled"


class Task(Base):
    """Something a staff member must do about a buyer by a due time (stored UTC, shown in Moscow time)."""

    __tablename__ = "crm_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column()
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    status: Mapped[TaskStatus] = mapped_column(String(16), default=TaskStatus.OPEN)
    #: Set by automatic tasks (e.g. ``overdue:<buyer>:<expected date>``) so a job opens each one once.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()

    buyer: Mapped[Buyer] = relationship()
    assignee: Mapped[StaffUser | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[StaffUser | None] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (
        CheckConstraint("status IN ('open', 'done', 'canceled')", name="status_known"),
        Index("ix_crm_tasks_assignee_open", "assignee_id", "status", "due_at"),
        Index("ix_crm_tasks_buyer", "buyer_id", "created_at"),
    )

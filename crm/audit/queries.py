"""Reading the audit log with filters, newest first. Date filters are Moscow calendar days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from storefront.moscow import moscow_day_end, moscow_midnight

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    staff_email: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


def audit_page(session: Session, filters: AuditFilters, page: int = 1) -> AuditPage:
    conditions = []
    if filters.staff_email:
        conditions.append(AuditEntry.staff_email == filters.staff_email.strip().lower())
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.target_type:
        conditions.append(AuditEntry.target_type == filters.target_type)
    if filters.target_id:
        conditions.append(AuditEntry.target_id == filters.target_id)
    if filters.date_from:
        conditions.append(AuditEntry.created_at >= moscow_midnight(filters.date_from))
    if filters.date_to:
        conditions.append(AuditEntry.created_at < moscow_day_end(filters.date_to))
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    entries = session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return AuditPage(list(entries), total, page, pages)


def known_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))

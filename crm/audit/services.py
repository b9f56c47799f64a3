"""Writing the audit log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm.audit.actions import AuditAction
from crm.audit.models import AuditEntry
from crm.staff.models import StaffUser


def record(
    session: Session,
    staff: StaffUser,
    action: AuditAction,
    target_type: str = "",
    target_id: object = "",
    ip_address: str | None = None,
    detail: str = "",
) -> AuditEntry:
    """Add one audit row (who, what, target, IP; the time is set by the model) to the session.

    Never commits: the caller commits the audit row together with the change it records, in one transaction.
    """
    entry = AuditEntry(
        staff_id=staff.id,
        staff_email=staff.email,
        action=action.value,
        target_type=target_type,
        target_id=str(target_id),
        ip_address=ip_address,
        detail=detail[:500],
    )
    session.add(entry)
    return entry


def record_job(
    session: Session, action: AuditAction, target_type: str = "", target_id: object = "", detail: str = ""
) -> AuditEntry:
    """Add one audit row for what a periodic job decided on its own (no staff member: the page shows «system»).

    Never commits, like ``record``."""
    entry = AuditEntry(
        staff_id=None,
        staff_email="",
        action=action.value,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail[:500],
    )
    session.add(entry)
    return entry

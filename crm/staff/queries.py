"""Reading staff: «account managers», the one definition (staff with the account-manager role; active ones
unless a departed manager's buyers must still show)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from crm.staff.models import Role, StaffUser


def account_manager_condition(active_only: bool) -> ColumnElement[bool]:
    if active_only:
        return and_(StaffUser.role == Role.ACCOUNT_MANAGER, StaffUser.is_active.is_(True))
    return StaffUser.role == Role.ACCOUNT_MANAGER


def account_managers(session: Session, active_only: bool) -> list[StaffUser]:
    """Active ones to assign to; all to filter by (a departed manager's buyers still show)."""
    query = select(StaffUser).where(account_manager_condition(active_only)).order_by(StaffUser.email)
    return list(session.scalars(query))


def is_active_account_manager(session: Session, staff_id: int) -> bool:
    query = select(StaffUser.id).where(StaffUser.id == staff_id, account_manager_condition(active_only=True))
    return session.scalar(query) is not None

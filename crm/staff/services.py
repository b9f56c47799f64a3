"""Staff accounts: creation and authentication (argon2, same parameters as buyers)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.staff.models import Role, StaffUser
from storefront.db import utcnow
from storefront.errors import ShopError
from storefront.logins.models import LoginKind
from storefront.logins.services import end_sessions

MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class StaffError(ShopError):
    pass


class BadCredentials(StaffError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_staff(session: Session, email: str, role: str, password: str, name: str = "") -> StaffUser:
    """A new staff user; ``StaffError`` (Russian message) on a bad role, short password or taken email. Flushes;
    the caller commits."""
    email = normalize_email(email)
    if role not in {r.value for r in Role}:
        raise StaffError(_("Unknown role «%(role)s». Use admin, marketer or account_manager.", role=role))
    if "@" not in email or len(email) > 254:
        raise StaffError(_("Enter a valid email address."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(_("The password is too short: use at least %(num)s characters.", num=MIN_PASSWORD_LENGTH))
    if session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise StaffError(_("A staff member with the email %(email)s already exists.", email=email))
    staff = StaffUser(email=email, role=Role(role), name=name.strip(), password_hash=_hasher.hash(password))
    session.add(staff)
    session.flush()
    return staff


def find_staff(session: Session, email: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.email == normalize_email(email)))


def authenticate(session: Session, email: str, password: str) -> StaffUser:
    """The active staff user with these credentials, or ``BadCredentials`` (same work either way). Flushes (the
    sign-in time, a rehash); the caller commits."""
    staff = session.scalar(select(StaffUser).where(StaffUser.email == normalize_email(email)))
    stored = staff.password_hash if staff is not None and staff.is_active else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise BadCredentials() from None
    if staff is None or stored is None:
        raise BadCredentials()
    if _hasher.check_needs_rehash(stored):
        staff.password_hash = _hasher.hash(password)
    staff.last_login_at = utcnow()
    session.flush()
    return staff


def change_password(session: Session, staff: StaffUser, current: str, new: str, keep_token: str | None) -> int:
    """Set a new password after checking the current one (``BadCredentials``) and end every other session of the
    staff member (whoever had the old password is signed out); returns how many ended. Flushes; caller commits."""
    try:
        _hasher.verify(staff.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise BadCredentials() from None
    if len(new) < MIN_PASSWORD_LENGTH:
        raise StaffError(_("The password is too short: use at least %(num)s characters.", num=MIN_PASSWORD_LENGTH))
    staff.password_hash = _hasher.hash(new)
    ended = end_sessions(session, LoginKind.STAFF, staff.id, keep_token=keep_token)
    session.flush()
    return ended

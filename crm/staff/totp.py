"""The staff's second factor: TOTP codes (RFC 6238, 30-second steps, ±1 step of clock drift) from an authenticator
app, each accepted once, and one-time recovery codes kept only as hashes. Takes a Session and values."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
import segno
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from crm.staff.models import RecoveryCode, StaffUser
from storefront.db import rowcount, utcnow
from storefront.errors import ShopError

ISSUER = "Mostik"
#: Steps either side of now a code may come from (the phone's clock drifts).
WINDOW = 1
RECOVERY_CODE_COUNT = 10
#: Recovery codes: 16 characters of base32 (80 bits), shown as XXXX-XXXX-XXXX-XXXX.
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE = re.compile(r"^\d{6}$")


class TotpError(ShopError):
    pass


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code of the enrolment link as an SVG ``data:`` URI (the CSP allows ``img-src data:``)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it in by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _clean(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (within ±``WINDOW``) whose code this is, or None."""
    code = _clean(code)
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in range(step - WINDOW, step + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(_clean(code).upper().encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def confirm_enrolment(
    session: Session, staff: StaffUser, secret: str, code: str, now: datetime | None = None
) -> list[str]:
    """Switch the second factor on once the app shows the right code; returns the recovery codes (shown once,
    only hashes kept; earlier ones stop working). ``TotpError`` on a wrong code. Flushes; the caller commits."""
    now = now or utcnow()
    step = matching_step(secret, code, now)
    if step is None:
        raise TotpError(_("The code does not match. Check the time on your phone and enter the current code."))
    staff.totp_secret = secret
    staff.totp_last_counter = step
    staff.totp_enrolled_at = now
    session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(staff_id=staff.id, code_hash=_hash(code)) for code in codes)
    session.flush()
    return codes


def accept_code(session: Session, staff: StaffUser, code: str, now: datetime | None = None) -> bool:
    """Whether this TOTP code signs the staff member in: right, and from a later step than the last one accepted
    (a conditional UPDATE, so two requests with one code cannot both pass). Flushes; the caller commits."""
    if staff.totp_secret is None:
        return False
    step = matching_step(staff.totp_secret, code, now or utcnow())
    if step is None:
        return False
    claimed = session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == staff.id,
            or_(StaffUser.totp_last_counter.is_(None), StaffUser.totp_last_counter < step),
        )
        .values(totp_last_counter=step)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        return False
    session.refresh(staff)
    return True


def use_recovery_code(session: Session, staff: StaffUser, code: str, now: datetime | None = None) -> bool:
    """Whether this unused recovery code is the staff member's; it is spent at once. Flushes; caller commits."""
    if staff.totp_secret is None or len(_clean(code)) != 16:
        return False
    spent = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.staff_id == staff.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None))
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return rowcount(spent) == 1


def recovery_codes_left(session: Session, staff_id: int) -> int:
    query = select(func.count()).where(RecoveryCode.staff_id == staff_id, RecoveryCode.used_at.is_(None))
    return int(session.scalar(query) or 0)


def reset_totp(session: Session, staff: StaffUser) -> None:
    """Switch the second factor off (a lost phone): the staff member enrols again. Flushes; the caller commits."""
    staff.totp_secret = None
    staff.totp_last_counter = None
    staff.totp_enrolled_at = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    session.flush()


def required_for(role: str, required_roles: frozenset[str]) -> bool:
    return role in required_roles

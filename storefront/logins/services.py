"""Opening, checking and ending server-side sessions. No Flask here: callers pass the client's facts."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from storefront.db import rowcount, utcnow
from storefront.logins.models import LoginKind, LoginSession

#: ``last_seen_at`` is written at most this often per session (not on every request).
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Client:
    """Who opened the session, as the request tells it."""

    ip_address: str | None
    user_agent: str


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    session: Session, kind: LoginKind, user_id: int, client: Client, stale_before: datetime | None = None
) -> str:
    """A new session row; returns the token for the cookie. The user's rows unseen since ``stale_before`` go.
    Flushes; the caller commits."""
    if stale_before is not None:
        session.execute(
            delete(LoginSession).where(
                LoginSession.kind == kind, LoginSession.user_id == user_id, LoginSession.last_seen_at < stale_before
            )
        )
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        LoginSession(
            id=token_id(token),
            kind=kind,
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            ip_address=(client.ip_address or "")[:45] or None,
            user_agent=client.user_agent[:300],
        )
    )
    session.flush()
    return token


def find_session(session: Session, kind: LoginKind, user_id: int, token: str) -> LoginSession | None:
    """The live row this token names for this user (one primary-key lookup), or None."""
    if not token:
        return None
    row = session.get(LoginSession, token_id(token))
    if row is None or row.kind != kind or row.user_id != user_id:
        return None
    return row


def touch(session: Session, row: LoginSession, now: datetime | None = None) -> bool:
    """Note the visit, at most once per ``TOUCH_EVERY`` (a conditional UPDATE; the caller commits when True)."""
    now = now or utcnow()
    if now - row.last_seen_at < TOUCH_EVERY:
        return False
    session.execute(
        update(LoginSession)
        .where(LoginSession.id == row.id, LoginSession.last_seen_at < now - TOUCH_EVERY)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(row, "last_seen_at", now)
    return True


def end_session(session: Session, token: str) -> None:
    """Sign this session out (its cookie stops working). The caller commits."""
    session.execute(delete(LoginSession).where(LoginSession.id == token_id(token)))


def end_sessions(session: Session, kind: LoginKind, user_id: int, keep_token: str | None = None) -> int:
    """End every session of this user but the one ``keep_token`` names; returns how many ended. Caller commits."""
    query = delete(LoginSession).where(LoginSession.kind == kind, LoginSession.user_id == user_id)
    if keep_token:
        query = query.where(LoginSession.id != token_id(keep_token))
    return rowcount(session.execute(query))


def end_one(session: Session, kind: LoginKind, user_id: int, session_id: str) -> bool:
    """End one of this user's sessions by its row id (the «end» button next to it). Caller commits."""
    query = delete(LoginSession).where(
        LoginSession.id == session_id, LoginSession.kind == kind, LoginSession.user_id == user_id
    )
    return rowcount(session.execute(query)) == 1


def sessions_of(session: Session, kind: LoginKind, user_id: int) -> list[LoginSession]:
    query = (
        select(LoginSession)
        .where(LoginSession.kind == kind, LoginSession.user_id == user_id)
        .order_by(LoginSession.last_seen_at.desc())
    )
    return list(session.scalars(query))


def session_counts(session: Session, kind: LoginKind) -> dict[int, int]:
    """How many sessions each user of this kind has open (the staff page)."""

    query = select(LoginSession.user_id, func.count()).where(LoginSession.kind == kind).group_by(LoginSession.user_id)
    return {user_id: count for user_id, count in session.execute(query).all()}

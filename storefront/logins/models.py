"""One signed-in browser of a buyer or a staff member."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, utcnow


class LoginKind(enum.StrEnum):
    BUYER = "buyer"
    STAFF = "staff"


class LoginSession(Base):
    """The row a session cookie names. No foreign key: ``user_id`` is a buyer's or a staff member's by ``kind``
    (the storefront never imports the CRM's tables)."""

    __tablename__ = "login_sessions"

    #: SHA-256 of the random token in the cookie: the table alone never yields a working cookie.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[LoginKind] = mapped_column(String(8))
    user_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (
        CheckConstraint("kind IN ('buyer', 'staff')", name="kind_known"),
        Index("ix_login_sessions_kind_user_id", "kind", "user_id"),
    )

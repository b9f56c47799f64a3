"""Staff users: the CRM's own accounts, separate from buyers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin


class Role(enum.StrEnum):
    ADMIN = "admin"
    MARKETER = "marketer"
    ACCOUNT_MANAGER = "account_manager"
    #: Order processing, the Harbin warehouse and logistics: orders and shipments in full, buyers as a summary.
    OPERATOR = "operator"
    #: Supplier settlement, payouts and statements; orders in full, buyers as a summary, no marketing.
    FINANCE = "finance"


class StaffUser(TimestampMixin, Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Normalised (trimmed, lower case).
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(24))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column()
    #: The TOTP secret (base32) once enrolment is confirmed; None without a second factor.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: The time step of the last code accepted: a code is used once (a later sign-in needs a later step).
    totp_last_counter: Mapped[int | None] = mapped_column()
    totp_enrolled_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint("role IN ('admin', 'marketer', 'account_manager', 'operator', 'finance')", name="role_known"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    @property
    def display_name(self) -> str:
        return self.name or self.email


class RecoveryCode(Base):
    """A one-time code for signing in without the authenticator app: only its SHA-256 is kept."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_staff_recovery_codes_staff_id", "staff_id"),)

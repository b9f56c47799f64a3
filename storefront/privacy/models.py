"""The log of personal-data requests (152-FZ art. 14, 21): every export and erasure, who asked and when."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, utcnow


class RequestKind(enum.StrEnum):
    EXPORT = "export"
    ERASURE = "erasure"


class DataRequest(Base):
    """One export or erasure of a buyer's data, by the buyer themself or by a staff member (the CRM's audit log
    has the staff side too). Holds no personal data: ids, the kind, the staff reason and the time."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id", ondelete="SET NULL"))
    kind: Mapped[RequestKind] = mapped_column(String(16))
    #: The CRM staff member who acted (no FK: staff are the CRM's); None when the buyer acted.
    staff_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("kind IN ('export', 'erasure')", name="kind_known"),
        Index("ix_privacy_requests_buyer", "buyer_id", "created_at"),
    )

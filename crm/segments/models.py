"""A saved segment: a validated JSON definition (see ``crm.segments.compiler``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.staff.models import StaffUser
from storefront.db import Base, TimestampMixin


class Segment(TimestampMixin, Base):
    __tablename__ = "crm_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    created_by: Mapped[StaffUser | None] = relationship()

"""One row per picture of a product: where it comes from, whether it is downloaded, its stored files."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, TimestampMixin


class PictureStatus(enum.StrEnum):
    #: Waiting for the download job (first try or a retry after ``next_attempt_at``).
    PENDING = "pending"
    #: Downloaded: ``file_key`` names its WebP derivatives.
    READY = "ready"
    #: Given up: ``error`` says why (a permanent refusal, or ``PICTURE_MAX_ATTEMPTS`` failed tries).
    FAILED = "failed"


class ProductPicture(TimestampMixin, Base):
    __tablename__ = "product_pictures"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    #: Order on the product page (0 = the main picture), the feed's order.
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: The supplier's URL; NULL for a picture made here (the demo's).
    source_url: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[PictureStatus] = mapped_column(String(16), default=PictureStatus.PENDING)
    #: Content hash naming the derivative files (``<key>-<size>.webp``); products may share one.
    file_key: Mapped[str | None] = mapped_column(String(64))
    #: Derivative size (px, the long side's limit) → [width, height] of the stored file.
    sizes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Why the last try failed (a ``fetch``/``images`` reason code, with detail).
    error: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: A pending picture is not tried before this (back-off, or another runner's lease).
    next_attempt_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'ready', 'failed')", name="status_known"),
        Index("ix_product_pictures_product", "product_id", "position"),
        Index("ix_product_pictures_due", "status", "next_attempt_at"),
    )

"""Published legal documents (the privacy policy and the public offer), one row per published version."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base, utcnow


class DocumentKind(enum.StrEnum):
    PRIVACY = "privacy"
    OFFER = "offer"


class LegalDocument(Base):
    """One published version: never edited afterwards (a change is a new version); consents point at it."""

    __tablename__ = "legal_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(String(16))
    #: 1, 2, 3 … per kind, in the order published.
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    #: Plain text: paragraphs separated by a blank line; a paragraph starting with «## » is a heading.
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The staff member's e-mail at the time (no FK: staff are the CRM's); empty for the built-in first version.
    published_by: Mapped[str] = mapped_column(String(254), default="")

    __table_args__ = (
        UniqueConstraint("kind", "version", name="uq_legal_documents_kind_version"),
        CheckConstraint("kind IN ('privacy', 'offer')", name="kind_known"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

"""The log of e-mail the shop sent: one row per message the SMTP server accepted.

Written by the outbox's sender (``storefront.outbox.send_due``) in the commit that marks the message sent; read by
the CRM's buyer timeline. ``buyer_id`` is the account whose address the
message went to, when there is one (guests have none).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storefront.account.models import Buyer
from storefront.db import Base, utcnow


class SentEmail(Base):
    __tablename__ = "sent_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyers.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(String(254))
    #: The template (``order_placed``, ``order_status``, ``tier_up``, ``password_reset`` …).
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_sent_emails_buyer", "buyer_id", "sent_at"),)


def log_sent(session: Session, to: str, kind: str, subject: str, sent_at: datetime | None = None) -> None:
    """Record one sent message (the caller commits); the buyer is found by address in the same statement."""
    address = to.strip().lower()
    buyer_id = select(Buyer.id).where(Buyer.email == address).scalar_subquery()
    session.execute(
        insert(SentEmail).values(
            buyer_id=buyer_id,
            to_address=address[:254],
            kind=kind[:40],
            subject=subject[:300],
            sent_at=sent_at or utcnow(),
        )
    )

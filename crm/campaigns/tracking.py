"""Opens, clicks and unsubscribes recorded per recipient (counters by conditional UPDATEs, first times once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.campaigns.models import CampaignRecipient, Unsubscribe
from storefront.account.models import Consent
from storefront.account.queries import marketing_consent_given
from storefront.db import rowcount

CR = CampaignRecipient


def record_open(session: Session, recipient_id: int, now: datetime) -> None:
    """Count an open (the pixel was fetched). Flushes; the caller commits."""
    if recipient_id <= 0:
        return
    session.execute(
        update(CR)
        .where(CR.id == recipient_id)
        .values(
            open_count=CR.open_count + 1,
            first_opened_at=case((CR.first_opened_at.is_(None), now), else_=CR.first_opened_at),
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()


def record_click(session: Session, recipient_id: int, now: datetime) -> tuple[int, int] | None:
    """Count a click; a click also proves an open. Returns (campaign id, buyer id) for attribution. Flushes;
    the caller commits."""
    if recipient_id <= 0:
        return None
    session.execute(
        update(CR)
        .where(CR.id == recipient_id)
        .values(
            click_count=CR.click_count + 1,
            first_clicked_at=case((CR.first_clicked_at.is_(None), now), else_=CR.first_clicked_at),
            first_opened_at=case((CR.first_opened_at.is_(None), now), else_=CR.first_opened_at),
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    row = session.execute(select(CR.campaign_id, CR.buyer_id).where(CR.id == recipient_id)).first()
    return (row.campaign_id, row.buyer_id) if row is not None else None


def unsubscribe(session: Session, recipient_id: int, method: str, ip_address: str | None, now: datetime) -> bool:
    """Withdraw the buyer's marketing consent at once and record it. Idempotent: a repeat changes nothing and
    returns False. Flushes; the caller commits."""
    recipient = session.get(CR, recipient_id) if recipient_id > 0 else None
    if recipient is None:
        return False
    withdrawn = rowcount(
        session.execute(
            update(Consent)
            .where(
                Consent.buyer_id == recipient.buyer_id,
                marketing_consent_given(),  # a pending one too
            )
            .values(withdrawn_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.execute(
        update(CR)
        .where(CR.id == recipient.id, CR.unsubscribed_at.is_(None))
        .values(unsubscribed_at=now)
        .execution_options(synchronize_session=False)
    )
    try:
        with session.begin_nested():
            session.add(
                Unsubscribe(
                    buyer_id=recipient.buyer_id,
                    campaign_id=recipient.campaign_id,
                    recipient_id=recipient.id,
                    method=method,
                    ip_address=ip_address,
                    created_at=now,
                )
            )
    except IntegrityError:
        pass  # already recorded for this message (the unique recipient_id): the repeat changes nothing
    session.flush()
    return withdrawn > 0


def is_unsubscribed(session: Session, recipient_id: int) -> bool:
    return session.scalar(select(CR.unsubscribed_at).where(CR.id == recipient_id)) is not None

"""The dispute queue: open disputes first by their answer deadline (one SELECT), each with the buyer's manager."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from storefront.account.models import Buyer, Tier
from storefront.order.models import Order
from storefront.protection.models import Dispute, DisputeStatus

#: How many rows the queue shows at most.
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class QueueRow:
    dispute: Dispute
    number: str
    buyer_name: str
    tier_name: str | None
    manager_id: int | None
    overdue: bool


def is_overdue(dispute: Dispute, now: datetime) -> bool:
    """Still unanswered by staff after its deadline."""
    return dispute.status == DisputeStatus.OPEN and dispute.answered_at is None and dispute.answer_due_at < now


def dispute_queue(
    session: Session, now: datetime, *, closed: bool = False, manager_id: int | None = None
) -> list[QueueRow]:
    """Open disputes (or, with ``closed``, decided ones, newest first); ``manager_id``: that manager's buyers only."""
    query = (
        select(Dispute, Order.number, Order.contact_name, Tier.name, BuyerProfile.manager_id)
        .join(Order, Order.id == Dispute.order_id)
        .outerjoin(Buyer, Buyer.id == Order.buyer_id)
        .outerjoin(Tier, Tier.id == Buyer.tier_id)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Order.buyer_id)
    )
    if closed:
        query = query.where(Dispute.status == DisputeStatus.CLOSED).order_by(Dispute.closed_at.desc())
    else:
        query = query.where(Dispute.status != DisputeStatus.CLOSED).order_by(Dispute.answer_due_at, Dispute.id)
    if manager_id is not None:
        query = query.where(BuyerProfile.manager_id == manager_id)
    return [
        QueueRow(dispute, number or "", name, tier, manager, is_overdue(dispute, now))
        for dispute, number, name, tier, manager in session.execute(query.limit(QUEUE_LIMIT))
    ]


def dispute_manager(session: Session, dispute: Dispute) -> int | None:
    buyer_id = dispute.order.buyer_id
    if buyer_id is None:
        return None
    return session.scalar(select(BuyerProfile.manager_id).where(BuyerProfile.buyer_id == buyer_id))

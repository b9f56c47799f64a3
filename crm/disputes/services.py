"""Overdue disputes: a task for the buyer's account manager, once per dispute (the dedupe key)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.buyers.models import BuyerProfile
from crm.workspace.services import open_task
from storefront.jobs import periodic
from storefront.order.models import Order
from storefront.protection.models import Dispute, DisputeStatus


def overdue_task_key(dispute_id: int) -> str:
    return f"dispute-overdue:{dispute_id}"


def open_overdue_dispute_tasks(session: Session, now: datetime, title: str) -> int:
    """``title`` (with ``%(number)s``) as a task for the manager of each overdue, unanswered dispute's buyer.
    Flushes; returns how many were opened (a dispute gets one task ever, however often this runs)."""
    rows = session.execute(
        select(Dispute.id, Order.buyer_id, Order.number, BuyerProfile.manager_id)
        .join(Order, Order.id == Dispute.order_id)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Order.buyer_id)
        .where(
            Dispute.status == DisputeStatus.OPEN,
            Dispute.answered_at.is_(None),
            Dispute.answer_due_at < now,
            Order.buyer_id.is_not(None),
        )
        .order_by(Dispute.id)
    ).all()
    opened = 0
    for dispute_id, buyer_id, number, manager_id in rows:
        assert buyer_id is not None  # guest orders have no buyer card to hang a task on (the WHERE above)
        task = open_task(
            session,
            buyer_id=buyer_id,
            title=title % {"number": number},
            due_at=now + timedelta(days=1),
            assignee_id=manager_id,
            dedupe_key=overdue_task_key(dispute_id),
        )
        opened += task is not None
    return opened


@periodic("crm-overdue-disputes", every=timedelta(hours=1))
def overdue_disputes_job(session: Session, now: datetime) -> str:
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with force_locale("ru"):
        title = _("Answer the overdue dispute on order %(number)s", number="%(number)s")
    opened = open_overdue_dispute_tasks(session, now, title)
    session.commit()
    return f"tasks opened {opened}"

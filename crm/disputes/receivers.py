"""Staff e-mails about disputes (receiver of ``dispute_changed``): a new dispute or a buyer's message goes to the
buyer's account manager, or — no manager — to every active operator and administrator."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from crm.disputes.queries import dispute_manager
from crm.staff.models import Role, StaffUser
from storefront.emails import queue_templated
from storefront.events import in_app
from storefront.extensions import db
from storefront.protection.models import Dispute, DisputeMessage
from storefront.protection.web import reason_label

logger = logging.getLogger(__name__)


def staff_recipients(dispute: Dispute) -> list[str]:
    session = db.session()
    manager_id = dispute_manager(session, dispute)
    if manager_id is not None:
        email = session.scalar(select(StaffUser.email).where(StaffUser.id == manager_id, StaffUser.is_active))
        if email:
            return [email]
    return list(
        session.scalars(
            select(StaffUser.email)
            .where(StaffUser.is_active, StaffUser.role.in_((Role.OPERATOR, Role.ADMIN)))
            .order_by(StaffUser.id)
        )
    )


def send_staff_email(dispute_id: int, event: str, message_id: int | None) -> int:
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None or event not in ("opened", "buyer_message"):
        return 0
    message = db.session.get(DisputeMessage, message_id) if message_id is not None else None
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    link = base + current_app.url_map.bind("localhost").build("crm.disputes.dispute_detail", {"dispute_id": dispute.id})
    with force_locale("ru"):
        subject = (
            _("New dispute on order %(number)s", number=dispute.order.number)
            if event == "opened"
            else _("The buyer wrote in the dispute on order %(number)s", number=dispute.order.number)
        )
        reason = reason_label(dispute.reason)
    recipients = staff_recipients(dispute)
    for email in recipients:  # through the outbox: committed here, after the change's own commit
        queue_templated(
            db.session(),
            "dispute_staff",
            email,
            subject,
            dispute=dispute,
            message=message,
            event=event,
            reason=reason,
            link=link,
        )
    db.session.commit()
    return len(recipients)


def connect_dispute_emails(app: Flask) -> None:
    from storefront.events import dispute_changed

    def email_staff(sender: Any, **change: Any) -> None:
        if not in_app(app):
            return
        try:
            send_staff_email(change["dispute_id"], change["event"], change.get("message_id"))
        except Exception:  # an e-mail must never undo or break the change itself
            logger.exception("staff e-mail for dispute %s failed", change["dispute_id"])

    dispute_changed.connect(email_staff)
    app.extensions["crm_dispute_emails"] = (email_staff,)

"""Staff e-mails about disputes, written into the outbox with the change (``expect_dispute_mail``): a new dispute or a
buyer's message goes to the buyer's account manager, or — no manager — to every active operator and administrator."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.disputes.queries import dispute_manager
from crm.staff.models import Role, StaffUser
from storefront.emails import mail_renderer, queue_templated
from storefront.protection.models import Dispute, DisputeMessage
from storefront.protection.web import reason_label


def staff_recipients(session: Session, dispute: Dispute) -> list[str]:
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


@mail_renderer("dispute")
def queue_staff_dispute_mail(session: Session, dispute_id: int, event: str, message_id: int | None) -> None:
    dispute = session.get(Dispute, dispute_id)
    if dispute is None or event not in ("opened", "buyer_message"):
        return
    message = session.get(DisputeMessage, message_id) if message_id is not None else None
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    link = base + current_app.url_map.bind("localhost").build("crm.disputes.dispute_detail", {"dispute_id": dispute.id})
    with force_locale("ru"):
        subject = (
            _("New dispute on order %(number)s", number=dispute.order.number)
            if event == "opened"
            else _("The buyer wrote in the dispute on order %(number)s", number=dispute.order.number)
        )
        reason = reason_label(dispute.reason)
    for email in staff_recipients(session, dispute):
        queue_templated(
            session,
            "dispute_staff",
            email,
            subject,
            dispute=dispute,
            message=message,
            event=event,
            reason=reason,
            link=link,
        )

"""The dispute desk. Thin: a message is ``add_message``, a decision ``decide`` then ``settle`` (the refund through
``refund_order`` with the key ``dispute-<id>``, the order's completion through ``confirm_receipt``); every decision
is audited in the same transaction."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.disputes import bp
from crm.disputes.forms import ActionForm, DecisionForm, StaffMessageForm
from crm.disputes.queries import dispute_manager, dispute_queue, is_overdue
from crm.permissions import has_permission, requires
from crm.staff.models import Role, StaffUser
from storefront.db import utcnow
from storefront.extensions import db
from storefront.i18n import format_rub
from storefront.order.services import announce_status_change
from storefront.payment.errors import RefundError
from storefront.protection.models import Dispute
from storefront.protection.services import (
    DecisionDraft,
    DisputeRefused,
    add_message,
    decide,
    expect_dispute_mail,
    get_dispute,
    refund_due,
    refundable,
    return_received,
    settle,
)
from storefront.protection.web import (
    checked_photos,
    commit_with_photos,
    current_policy,
    find_photo,
    refusal_message,
    send_photo,
    store_photos,
)


def _scoped(dispute: Dispute, staff: StaffUser) -> bool:
    """A manager works on their own buyers' disputes only; admins and operators on all."""
    if staff.role in (Role.ADMIN, Role.OPERATOR):
        return True
    return staff.role == Role.ACCOUNT_MANAGER and dispute_manager(db.session(), dispute) == staff.id


def _dispute(dispute_id: int) -> tuple[Dispute, StaffUser]:
    staff = require_staff()
    dispute = get_dispute(db.session(), dispute_id)
    if dispute is None:
        abort(404)
    if not _scoped(dispute, staff):
        abort(403)
    return dispute, staff


@bp.get("")
@requires("disputes.view")
def dispute_list() -> str:
    staff = require_staff()
    closed = request.args.get("closed") == "1"
    manager_id = staff.id if staff.role == Role.ACCOUNT_MANAGER else None
    rows = dispute_queue(db.session(), utcnow(), closed=closed, manager_id=manager_id)
    return render_template("crm/disputes/list.html", rows=rows, closed=closed)


def _render(dispute: Dispute, status: int = 200, **forms: object) -> tuple[str, int]:
    staff = require_staff()
    session = db.session()
    decide_allowed = has_permission(staff.role, "disputes.decide")
    suggested = sum((line.order_line.unit_price * line.quantity for line in dispute.lines), Decimal("0.00"))
    return (
        render_template(
            "crm/disputes/detail.html",
            dispute=dispute,
            order=dispute.order,
            overdue=is_overdue(dispute, utcnow()),
            message_form=forms.get("message_form") or StaffMessageForm(),
            decision_form=(forms.get("decision_form") or DecisionForm()) if decide_allowed else None,
            may_decide=decide_allowed,
            action_form=ActionForm(),
            may_write=has_permission(staff.role, "disputes.reply"),
            refund_due=refund_due(session, dispute),
            refundable=refundable(session, dispute.order),
            suggested=suggested,
        ),
        status,
    )


@bp.get("/<int:dispute_id>")
@requires("disputes.view")
def dispute_detail(dispute_id: int) -> tuple[str, int]:
    dispute, _staff = _dispute(dispute_id)
    return _render(dispute)


@bp.post("/<int:dispute_id>/messages")
@requires("disputes.reply")
def dispute_message(dispute_id: int) -> Response | tuple[str, int]:
    dispute, staff = _dispute(dispute_id)
    form = StaffMessageForm()
    if not form.validate_on_submit():
        return _render(dispute, 400, message_form=form)
    photos, errors = checked_photos(form.photos.data or [], current_policy())
    if errors:
        form.photos.errors = errors
        return _render(dispute, 400, message_form=form)
    internal = bool(form.internal.data)
    try:
        message = add_message(
            db.session(),
            dispute,
            form.body.data or "",
            photos,
            staff_id=staff.id,
            author_name=staff.name or staff.email,
            internal=internal,
        )
    except DisputeRefused as error:
        db.session.rollback()
        form.body.errors = [refusal_message(error)]
        return _render(dispute, 400, message_form=form)
    if not internal:
        expect_dispute_mail(db.session(), dispute.id, "staff_message", message.id)
    commit_with_photos(store_photos(photos))
    flash(_("The note is saved.") if internal else _("The reply is sent to the buyer."), "success")
    return redirect(url_for("crm.disputes.dispute_detail", dispute_id=dispute.id), 303)


def _settle(dispute: Dispute, staff: StaffUser) -> None:
    """The decision's refund and the order's completion, after the decision has committed."""
    gateway = current_app.extensions.get("payment_gateway")
    try:
        settled = settle(db.session(), gateway, dispute)
    except (RefundError, DisputeRefused) as error:
        db.session.rollback()
        flash(
            _(
                "The decision is saved but the refund was not made: %(reason)s. Press «Make the refund» again: the "
                "money will not be returned twice.",
                reason=str(error) if isinstance(error, RefundError) else _("online payments are not configured"),
            ),
            "error",
        )
        return
    if settled.refund is not None:
        detail = f"{settled.refund.amount} ₽, {settled.refund.status}: dispute {dispute.id}"
        number = dispute.order.number or ""
        record(db.session(), staff, AuditAction.ORDER_REFUND, "order", number, request.remote_addr, detail)
        db.session.commit()
        _flash_refund(settled.refund.amount, settled.refund.status)
    if settled.completed:
        announce_status_change(dispute.order, settled.previous_status)


def _flash_refund(amount: Decimal, state: str) -> None:
    if state == "succeeded":
        flash(_("Refunded %(amount)s.", amount=format_rub(amount)), "success")
    elif state in ("pending", "unknown"):
        flash(_("The refund of %(amount)s is in progress.", amount=format_rub(amount)), "success")
    else:
        flash(_("The payment service canceled the refund."), "error")


@bp.post("/<int:dispute_id>/decide")
@requires("disputes.decide")
def dispute_decide(dispute_id: int) -> Response | tuple[str, int]:
    dispute, staff = _dispute(dispute_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render(dispute, 400, decision_form=form)
    draft = DecisionDraft(form.decision.data or "", form.value, form.note.data or "")
    try:
        decide(db.session(), dispute, draft, staff.id)
    except DisputeRefused as error:
        db.session.rollback()
        form.decision.errors = [refusal_message(error)]
        return _render(dispute, 409 if error.code == "already_decided" else 400, decision_form=form)
    amount = f"{dispute.refund_amount} ₽" if dispute.refund_amount else "—"
    detail = f"{dispute.order.number}: {dispute.decision}, {amount}; {dispute.decision_note}"
    record(db.session(), staff, AuditAction.DISPUTE_DECIDE, "dispute", dispute.id, request.remote_addr, detail)
    expect_dispute_mail(db.session(), dispute.id, "decided")
    db.session.commit()
    flash(_("The decision is saved."), "success")
    _settle(dispute, staff)
    return redirect(url_for("crm.disputes.dispute_detail", dispute_id=dispute.id), 303)


@bp.post("/<int:dispute_id>/return-received")
@requires("disputes.decide")
def dispute_return_received(dispute_id: int) -> Response | tuple[str, int]:
    dispute, staff = _dispute(dispute_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        return_received(db.session(), dispute, staff.id)
    except DisputeRefused as error:
        db.session.rollback()
        flash(refusal_message(error), "error")
        return _render(dispute, 400)
    number = dispute.order.number or ""
    record(db.session(), staff, AuditAction.DISPUTE_RETURN, "dispute", dispute.id, request.remote_addr, number)
    db.session.commit()
    _settle(dispute, staff)
    return redirect(url_for("crm.disputes.dispute_detail", dispute_id=dispute.id), 303)


@bp.post("/<int:dispute_id>/refund")
@requires("disputes.decide")
def dispute_refund_again(dispute_id: int) -> Response | tuple[str, int]:
    """The decision's refund once more (the payment service did not answer): the same key, never twice."""
    dispute, staff = _dispute(dispute_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not refund_due(db.session(), dispute):
        flash(_("Nothing is left to refund for this dispute."), "info")
        return _render(dispute, 400)
    _settle(dispute, staff)
    return redirect(url_for("crm.disputes.dispute_detail", dispute_id=dispute.id), 303)


@bp.get("/<int:dispute_id>/photos/<name>")
@requires("disputes.view")
def dispute_photo(dispute_id: int, name: str) -> Response:
    dispute, _staff = _dispute(dispute_id)
    return send_photo(find_photo(dispute, name, with_internal=True))

"""The staff order page: fulfilment steps, cancel with a refund, refunds with a confirmation step. Thin: a step is
``storefront.order.services.change_status``, a refund ``storefront.payment.refunds.refund_order``, a canceled
order's refund ``storefront.payment.cancel.refund_canceled_order``."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.orders import bp
from crm.orders.forms import STEP_ACTIONS, CancelForm, RefundForm, RetryRefundForm, RevokeLinksForm, StatusForm
from crm.orders.queries import OrderPage, may_act_on, order_page
from crm.permissions import has_permission, requires
from crm.staff.models import StaffUser
from storefront.errors import NotFound
from storefront.extensions import db
from storefront.i18n import format_rub
from storefront.money import from_minor
from storefront.order.models import CANCEL_REASONS, MONEY_IN, NEEDS_PAYMENT, TRANSITIONS, Order, OrderStatus
from storefront.order.services import (
    NotPaidYet,
    TransitionNotAllowed,
    announce_status_change,
    change_status,
    revoke_guest_links,
)
from storefront.order.web import status_label
from storefront.payment.cancel import cancel_refund, refund_canceled_order, refund_is_due
from storefront.payment.errors import RefundError, RefundFailure
from storefront.payment.models import Refund
from storefront.payment.refunds import refund_order
from storefront.settlement.postings import lines_refundable

#: The audit action of each staff step.
STEP_AUDIT = {
    OrderStatus.CONFIRMED: AuditAction.ORDER_CONFIRM,
    OrderStatus.PACKED: AuditAction.ORDER_PACK,
    OrderStatus.DELIVERED: AuditAction.ORDER_DELIVER,
    OrderStatus.CANCELED: AuditAction.ORDER_CANCEL,
}


def _page(number: str) -> OrderPage:
    page = order_page(db.session(), number)
    if page is None:
        raise NotFound()
    return page


def _step_actions(order: Order) -> list[OrderStatus]:
    """The one-button steps the order's status allows now (``TRANSITIONS``); the paid-only ones once paid."""
    allowed = TRANSITIONS[OrderStatus(order.status)]
    money_in = order.payment_status in MONEY_IN
    return [step for step in STEP_ACTIONS if step in allowed and (money_in or step not in NEEDS_PAYMENT)]


def _render(
    page: OrderPage, form: RefundForm | None, status: int = 200, cancel_form: CancelForm | None = None
) -> tuple[str, int]:
    staff = require_staff()
    scoped = may_act_on(db.session(), staff, page.order)
    if form is None and scoped and has_permission(staff.role, "orders.refund") and page.refundable > 0:
        form = _refund_form(page)
    order = page.order
    process = has_permission(staff.role, "orders.process")
    can_cancel = process and OrderStatus.CANCELED in TRANSITIONS[OrderStatus(order.status)]
    return (
        render_template(
            "crm/order.html",
            page=page,
            full=scoped,
            form=form,
            payment_status=_payment_status,
            refund_status=_refund_status,
            closing_receipt_status=_closing_receipt_status,
            steps=_step_actions(order) if process else [],
            waits_for_payment=process and order.awaiting_payment,
            step_form=StatusForm(),
            cancel_form=(cancel_form or CancelForm()) if can_cancel else None,
            cancel_reasons=CANCEL_REASONS,
            retry_form=RetryRefundForm(number=order.number) if process and refund_is_due(order) else None,
            cancel_refund=cancel_refund(db.session(), order.id),
            revoke_form=RevokeLinksForm(number=order.number) if process else None,
        ),
        status,
    )


def _payment_status(status: str) -> str:
    """A payment's or refund's status in words (the YooKassa values, plus our «no answer yet»)."""
    return {
        "unknown": _("no answer yet"),
        "pending": _("in progress"),
        "waiting_for_capture": _("on hold"),
        "succeeded": _("done"),
        "canceled": _("canceled"),
    }.get(status, status)


def _refund_status(status: str) -> str:
    """A refund's status in words: YooKassa may keep a refund pending for days, then succeed or cancel it."""
    return {
        "unknown": _("no answer yet"),
        "pending": _("Refund in progress"),
        "succeeded": _("done"),
        "canceled": _("Refund declined"),
    }.get(status, status)


def _closing_receipt_status(status: str | None) -> str:
    """The closing receipt (чек зачёта предоплаты) of a prepaid payment, sent when the goods are handed over."""
    return {
        None: _("due when the goods are handed over"),
        "unknown": _("sending, no answer yet"),
        "pending": _("being registered"),
        "succeeded": _("registered"),
        "canceled": _("refused by the payment service"),
        "not_needed": _("not needed: everything was refunded"),
    }.get(status, status or "")


def _refund_key(token: str) -> str:
    return f"crm-refund-{token}"


@bp.get("/<number>")
@requires("orders.view")
def order_detail(number: str) -> tuple[str, int]:
    page = _page(number)
    return _render(page, None)


def _step_done(step: OrderStatus) -> str:
    return {
        OrderStatus.CONFIRMED: _("The order is confirmed."),
        OrderStatus.PACKED: _("The order is packed."),
        OrderStatus.DELIVERED: _("The order is marked delivered."),
        OrderStatus.CANCELED: _("The order is canceled."),
    }[step]


def _already(step: OrderStatus) -> str:
    return {
        OrderStatus.CONFIRMED: _("The order is already confirmed."),
        OrderStatus.PACKED: _("The order is already packed."),
        OrderStatus.DELIVERED: _("The order is already marked delivered."),
        OrderStatus.CANCELED: _("The order is already canceled."),
    }[step]


def _refused(number: str, error: TransitionNotAllowed, step: OrderStatus) -> Response | tuple[str, int]:
    """A second click (or another staff member was quicker): nothing changed, said so. Any other refusal: 409."""
    if error.already:
        flash(_already(step), "info")
        return redirect(url_for("crm.orders.order_detail", number=number))
    if isinstance(error, NotPaidYet):
        flash(_("The order is not paid yet: this step is possible only after payment."), "error")
    else:
        flash(
            _("The order is «%(status)s»: this step is not possible from there.", status=status_label(error.current)),
            "error",
        )
    return _render(_page(number), None, 409)


@bp.post("/<number>/status")
@requires("orders.process")
def order_step(number: str) -> Response | tuple[str, int]:
    """Confirm, packed, delivered: one conditional UPDATE, audited with the staff member, e-mailed after commit."""
    page = _page(number)
    staff = require_staff()
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Unknown step. Open the order again."), "error")
        return _render(page, None, 400)
    step = OrderStatus(form.to.data)
    order = page.order
    previous = order.status
    try:
        change_status(db.session(), order, step, staff_id=staff.id)
    except TransitionNotAllowed as error:
        db.session.rollback()
        return _refused(number, error, step)
    record(db.session(), staff, STEP_AUDIT[step], "order", number, request.remote_addr, f"{previous} → {step}")
    db.session.commit()
    announce_status_change(order, previous)
    flash(_step_done(step), "success")
    return redirect(url_for("crm.orders.order_detail", number=number))


@bp.post("/<number>/revoke-links")
@requires("orders.process")
def order_revoke_links(number: str) -> Response | tuple[str, int]:
    """Every guest link to the order sent so far stops working (a guest can ask for a new one by e-mail)."""
    page = _page(number)
    staff = require_staff()
    form = RevokeLinksForm()
    if not form.validate_on_submit() or form.number.data != number:
        flash(_("Open the order again and repeat."), "error")
        return _render(page, None, 400)
    revoke_guest_links(db.session(), page.order)
    record(db.session(), staff, AuditAction.ORDER_LINKS_REVOKE, "order", number, request.remote_addr, "")
    db.session.commit()
    flash(_("The guest's links to the order no longer work."), "success")
    return redirect(url_for("crm.orders.order_detail", number=number))


@bp.post("/<number>/cancel")
@requires("orders.process")
def order_cancel(number: str) -> Response | tuple[str, int]:
    """Cancel with a reason: stock back (``change_status``), and a paid order refunded in full, once. Whichever
    request wins the conditional UPDATE makes the refund; its key comes from the cancel, not from the form."""
    page = _page(number)
    staff = require_staff()
    form = CancelForm()
    if not form.validate_on_submit():
        return _render(page, None, 400, cancel_form=form)
    order = page.order
    gateway = current_app.extensions.get("payment_gateway")
    if order.payment_status in MONEY_IN and gateway is None:
        flash(_("The order is paid and online payments are not configured: its money could not be returned."), "error")
        return _render(page, None, 503, cancel_form=form)
    previous = order.status
    try:
        change_status(db.session(), order, OrderStatus.CANCELED, note=form.note, staff_id=staff.id)
    except TransitionNotAllowed as error:
        db.session.rollback()
        return _refused(number, error, OrderStatus.CANCELED)
    record(db.session(), staff, AuditAction.ORDER_CANCEL, "order", number, request.remote_addr, form.note)
    db.session.commit()
    announce_status_change(order, previous)
    flash(_step_done(OrderStatus.CANCELED), "success")
    if refund_is_due(order):
        _refund_canceled(order, staff, "cancel")
    return redirect(url_for("crm.orders.order_detail", number=number))


@bp.post("/<number>/cancel-refund")
@requires("orders.process")
def order_cancel_refund(number: str) -> Response | tuple[str, int]:
    """Make again the refund of a canceled order the payment service did not answer about: the same refund."""
    page = _page(number)
    staff = require_staff()
    form = RetryRefundForm()
    if not form.validate_on_submit() or form.number.data != number:
        flash(_("The form is out of date. Open the order again."), "error")
        return _render(page, None, 400)
    if not refund_is_due(page.order):
        flash(_("Nothing is left to refund for this order."), "info")
        return redirect(url_for("crm.orders.order_detail", number=number))
    if current_app.extensions.get("payment_gateway") is None:
        flash(_("Online payments are not configured (YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY)."), "error")
        return _render(page, None, 503)
    _refund_canceled(page.order, staff, "cancel, again")
    return redirect(url_for("crm.orders.order_detail", number=number))


def _refund_canceled(order: Order, staff: StaffUser, why: str) -> None:
    """The canceled order's refund (after the cancel has committed), audited once it has an answer."""
    gateway = current_app.extensions["payment_gateway"]
    number = order.number or ""
    try:
        refund = refund_canceled_order(db.session(), gateway, order)
    except RefundError as error:
        db.session.rollback()
        if error.code == RefundFailure.UNKNOWN:
            flash(
                _(
                    "The payment service did not answer about the refund. It stays to be made: press «Retry the "
                    "refund» (or run «flask payment refund %(number)s»); the money will not be returned twice.",
                    number=number,
                ),
                "error",
            )
        elif error.code == RefundFailure.IN_PROGRESS:
            flash(_in_progress_message(error), "error")
        else:
            flash(_("The refund was not made: %(reason)s", reason=str(error)), "error")
        return
    if refund is None:
        return
    detail = f"{refund.amount} ₽, {refund.status}: {why}"
    record(db.session(), staff, AuditAction.ORDER_REFUND, "order", number, request.remote_addr, detail)
    db.session.commit()
    _flash_refund(refund)


def _flash_refund(refund: Refund) -> None:
    """Tell the staff member what became of a refund: made, under way, or canceled by the payment service."""
    messages = {
        "succeeded": _("Refunded %(amount)s.", amount=format_rub(refund.amount)),
        "pending": _("The refund of %(amount)s is in progress.", amount=format_rub(refund.amount)),
    }
    flash(
        messages.get(refund.status, _("The payment service canceled the refund.")),
        "success" if refund.status in messages else "error",
    )


def _refund_form(page: OrderPage) -> RefundForm:
    """The refund form with the order's lines to choose from."""
    form = RefundForm()
    form.lines.choices = [
        (line.id, f"{line.title} × {line.quantity} — {format_rub(line.line_amount)}") for line in page.order.lines
    ]
    return form


def _refund_cap(page: OrderPage, lines: list[int]) -> Decimal:
    """What can be refunded now: for chosen lines, what is left of them (the ledger's own rule), else the order."""
    if not lines:
        return page.refundable
    return min(page.refundable, from_minor(lines_refundable(db.session(), page.order, lines)))


@bp.post("/<number>/refund")
@requires("orders.refund")
def order_refund(number: str) -> Response | tuple[str, int]:
    page = _page(number)
    staff = require_staff()
    if not may_act_on(db.session(), staff, page.order):
        abort(403)  # an account manager refunds only their own buyers' orders
    form = _refund_form(page)
    if not form.validate_on_submit():
        return _render(page, form, 400)
    key = _refund_key(form.token.data)
    # A repeat of a submitted form returns its refund, even if what is left is now less than its amount.
    repeat = db.session.scalar(select(Refund.id).where(Refund.idempotence_key == key)) is not None
    lines = sorted(set(form.lines.data or []))
    cap = _refund_cap(page, lines)
    if not repeat and lines and cap <= 0:
        form.lines.errors = [_("Nothing is left to refund for the ticked lines.")]
        return _render(page, form, 400)
    if not repeat and form.value is not None and form.value > cap:
        if lines:
            message = _("At most %(amount)s can be refunded for the ticked lines.", amount=format_rub(cap))
        else:
            message = _("At most %(amount)s can be refunded.", amount=format_rub(cap))
        form.amount.errors = [message]
        return _render(page, form, 400)
    gateway = current_app.extensions.get("payment_gateway")
    if gateway is None:
        form.mode.errors = [_("Online payments are not configured (YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY).")]
        return _render(page, form, 503)
    if not repeat and form.confirm.data != "1":
        amount = cap if form.value is None else form.value
        chosen = [line for line in page.order.lines if line.id in lines]
        return (
            render_template(
                "crm/order_refund_confirm.html",
                page=page,
                form=form,
                amount=amount,
                remaining=page.refundable - amount,
                chosen=chosen,
            ),
            200,
        )
    # «Everything left» of chosen lines is what is left of them, not of the whole order.
    value = cap if lines and form.value is None else form.value
    try:
        refund = refund_order(db.session(), gateway, page.order, value, idempotence_key=key, lines=lines)
    except RefundError as error:
        db.session.rollback()
        form.amount.errors = [_refund_message(error, page)]
        return _render(_page(number), form, _REFUND_STATUS.get(error.code, 400))
    if not repeat:
        detail = f"{refund.amount} ₽, {refund.status}: {form.reason.data.strip()}"
        if lines:
            detail += f" (lines {', '.join(map(str, lines))})"
        record(db.session(), staff, AuditAction.ORDER_REFUND, "order", number, request.remote_addr, detail)
        db.session.commit()
    _flash_refund(refund)
    return redirect(url_for("crm.orders.order_detail", number=number))


#: The answer's status for a refusal other than 400: no answer from the service, another request's refund.
_REFUND_STATUS = {RefundFailure.UNKNOWN: 503, RefundFailure.IN_PROGRESS: 409}


def _in_progress_message(error: RefundError) -> str:
    return _(
        "Another staff member is already making a refund of %(amount)s: it awaits the payment service's answer. "
        "Left to refund: %(remaining)s. Open the order again in a minute.",
        amount=format_rub(error.values.get("amount", 0)),
        remaining=format_rub(error.values.get("remaining", 0)),
    )


def _refund_message(error: RefundError, page: OrderPage) -> str:
    return {
        RefundFailure.IN_PROGRESS: _in_progress_message(error),
        RefundFailure.NOT_PAID: _("The order has no successful payment: there is nothing to refund."),
        RefundFailure.NOTHING_LEFT: _("Everything paid for this order has already been refunded."),
        RefundFailure.TOO_MUCH: _(
            "At most %(amount)s can be refunded.", amount=format_rub(error.values.get("remaining", 0))
        ),
        RefundFailure.BAD_AMOUNT: _("The amount must be greater than zero and in whole kopecks, like 1 234,50."),
        RefundFailure.BAD_KEY: _("The form is out of date. Open the order again."),
        RefundFailure.BAD_LINES: _("Tick lines of this order."),
        RefundFailure.UNKNOWN: _(
            "The payment service did not answer. Submit again: the money will not be refunded twice."
        ),
        RefundFailure.REFUSED: _("The payment service refused the refund: %(reason)s", reason=str(error)),
    }.get(error.code, str(error))

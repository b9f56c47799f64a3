"""The staff order page and refunds. Thin: the refund itself is ``storefront.payment.refunds.refund_order``."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.orders import bp
from crm.orders.forms import RefundForm
from crm.orders.queries import OrderPage, may_act_on, order_page
from crm.permissions import has_permission, requires
from storefront.errors import NotFound
from storefront.extensions import db
from storefront.i18n import format_rub
from storefront.payment.errors import RefundError, RefundFailure
from storefront.payment.models import Refund
from storefront.payment.refunds import refund_order


def _page(number: str) -> OrderPage:
    page = order_page(db.session(), number)
    if page is None:
        raise NotFound()
    return page


def _render(page: OrderPage, form: RefundForm | None, status: int = 200) -> tuple[str, int]:
    staff = require_staff()
    scoped = may_act_on(db.session(), staff, page.order)
    if form is None and scoped and has_permission(staff.role, "orders.refund") and page.refundable > 0:
        form = RefundForm()
    return (
        render_template(
            "crm/order.html",
            page=page,
            full=scoped,
            form=form,
            payment_status=_payment_status,
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


def _refund_key(token: str) -> str:
    return f"crm-refund-{token}"


@bp.get("/<number>")
@requires("orders.view")
def order_detail(number: str) -> tuple[str, int]:
    page = _page(number)
    return _render(page, None)


@bp.post("/<number>/refund")
@requires("orders.refund")
def order_refund(number: str) -> Response | tuple[str, int]:
    page = _page(number)
    staff = require_staff()
    if not may_act_on(db.session(), staff, page.order):
        abort(403)  # an account manager refunds only their own buyers' orders
    form = RefundForm()
    if not form.validate_on_submit():
        return _render(page, form, 400)
    key = _refund_key(form.token.data)
    # A repeat of a submitted form returns its refund, even if what is left is now less than its amount.
    repeat = db.session.scalar(select(Refund.id).where(Refund.idempotence_key == key)) is not None
    if not repeat and form.value is not None and form.value > page.refundable:
        form.amount.errors = [_("At most %(amount)s can be refunded.", amount=format_rub(page.refundable))]
        return _render(page, form, 400)
    gateway = current_app.extensions.get("payment_gateway")
    if gateway is None:
        form.mode.errors = [_("Online payments are not configured (YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY).")]
        return _render(page, form, 503)
    try:
        refund = refund_order(db.session(), gateway, page.order, form.value, idempotence_key=key)
    except RefundError as error:
        db.session.rollback()
        form.amount.errors = [_refund_message(error, page)]
        return _render(_page(number), form, 503 if error.code == RefundFailure.UNKNOWN else 400)
    if not repeat:
        detail = f"{refund.amount} ₽, {refund.status}: {form.reason.data.strip()}"
        record(db.session(), staff, AuditAction.ORDER_REFUND, "order", number, request.remote_addr, detail)
        db.session.commit()
    messages = {
        "succeeded": _("Refunded %(amount)s.", amount=format_rub(refund.amount)),
        "pending": _("The refund of %(amount)s is in progress.", amount=format_rub(refund.amount)),
    }
    flash(
        messages.get(refund.status, _("The payment service canceled the refund.")),
        "success" if refund.status in messages else "error",
    )
    return redirect(url_for("crm.orders.order_detail", number=number))


def _refund_message(error: RefundError, page: OrderPage) -> str:
    return {
        RefundFailure.NOT_PAID: _("The order has no successful payment: there is nothing to refund."),
        RefundFailure.NOTHING_LEFT: _("Everything paid for this order has already been refunded."),
        RefundFailure.TOO_MUCH: _(
            "At most %(amount)s can be refunded.", amount=format_rub(error.values.get("remaining", 0))
        ),
        RefundFailure.BAD_AMOUNT: _("The amount must be greater than zero and in whole kopecks, like 1 234,50."),
        RefundFailure.BAD_KEY: _("The form is out of date. Open the order again."),
        RefundFailure.UNKNOWN: _(
            "The payment service did not answer. Submit again: the money will not be refunded twice."
        ),
        RefundFailure.REFUSED: _("The payment service refused the refund: %(reason)s", reason=str(error)),
    }.get(error.code, str(error))

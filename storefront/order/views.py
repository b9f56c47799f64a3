"""Order pages: list, detail with timeline, invoice, confirm receipt. Buyers see their own orders;
guests reach theirs through the signed link from the confirmation email (``?t=…``)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from storefront.account.forms import EmptyForm
from storefront.account.identifiers import format_phone
from storefront.emails import send_templated
from storefront.extensions import db
from storefront.order import bp
from storefront.order.models import Order
from storefront.order.services import TransitionNotAllowed, confirm_receipt, list_buyer_orders
from storefront.order.web import status_label, viewable_order
from storefront.shipping.regions import region_name


def _context(order: Order, token: str | None) -> dict[str, object]:
    return {
        "order": order,
        "token": token,
        "status_label": status_label,
        "region_name": region_name,
        "format_phone": format_phone,
        "action_form": EmptyForm(),
    }


@bp.get("/account/orders")
@login_required
def my_orders() -> str:
    return render_template(
        "order/list.html", orders=list_buyer_orders(db.session, current_user.id), status_label=status_label
    )


@bp.get("/orders/<number>")
def order_detail(number: str) -> str:
    order, token = viewable_order(number)
    return render_template("order/detail.html", **_context(order, token))


@bp.get("/orders/<number>/invoice")
def invoice(number: str) -> str:
    order, token = viewable_order(number)
    if not order.is_company:
        abort(404)
    config = current_app.config
    seller = {key: config[f"SELLER_{key.upper()}"] for key in ("name", "inn", "kpp", "address")}
    return render_template("order/invoice.html", seller=seller, **_context(order, token))


@bp.post("/orders/<number>/confirm-receipt")
def confirm_receipt_view(number: str) -> Response | tuple[str, int]:
    order, token = viewable_order(number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        confirm_receipt(db.session, order, current_user.id if current_user.is_authenticated else None)
    except TransitionNotAllowed:
        db.session.rollback()
        flash(_("Receipt can be confirmed only for a delivered order."), "error")
        return render_template("order/detail.html", **_context(order, token)), 409
    send_templated(
        "order_status",
        order.email,
        _("Order %(number)s: %(status)s", number=order.number, status=status_label(order.status)),
        order=order,
        status=status_label(order.status),
    )
    flash(_("Thank you! The order is completed."), "success")
    return redirect(url_for("order.order_detail", number=number, t=token), 303)

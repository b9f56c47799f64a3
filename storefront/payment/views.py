"""The pay step: ``/orders/<number>/pay`` starts a payment through the configured gateway."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from werkzeug.wrappers import Response

from storefront.extensions import db
from storefront.order.models import OrderStatus
from storefront.order.web import status_label, viewable_order
from storefront.payment import bp
from storefront.payment.starter import PaymentStarter


@bp.get("/orders/<number>/pay")
def pay(number: str) -> str | Response:
    order, token = viewable_order(number)
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return redirect(url_for("order.order_detail", number=number, t=token))
    starter: PaymentStarter = current_app.extensions["payment_starter"]
    return_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "order.order_detail", number=number, t=token
    )
    start = starter.start_payment(db.session, order, return_url)
    if start.redirect_url:
        return redirect(start.redirect_url)
    return render_template("payment/pay.html", order=order, token=token, status_label=status_label)

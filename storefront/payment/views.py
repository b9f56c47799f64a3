"""The pay step (``/orders/<number>/pay``) and YooKassa's notification endpoint."""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from storefront.account.forms import EmptyForm
from storefront.extensions import csrf, db
from storefront.order.web import status_label, viewable_order
from storefront.payment import bp
from storefront.payment.attempts import latest_attempt, refresh_payment
from storefront.payment.errors import GatewayError, PaymentRefused, PaymentUnavailable
from storefront.payment.models import YooKassaMethod
from storefront.payment.notification_handling import handle_notification
from storefront.payment.notifications import MAX_BODY_BYTES, MalformedNotification, parse_notification
from storefront.payment.starter import PaymentStarter

logger = logging.getLogger(__name__)


#: The pay page's choices (``?method=``): card or SBP (Система быстрых платежей), both through YooKassa.
PAY_METHODS = tuple(method.value for method in YooKassaMethod)


@bp.get("/orders/<number>/pay")
def pay(number: str) -> str | Response | tuple[str, int]:
    """Without ``method``: the buyer chooses «Банковской картой» or «СБП»; with it: start (or reuse) that attempt
    and send the buyer to YooKassa's page. An unknown method is refused with a 400 and changes nothing."""
    order, token = viewable_order(number)
    if not order.awaiting_payment:
        return redirect(url_for("order.order_detail", number=number, t=token))
    starter: PaymentStarter = current_app.extensions["payment_starter"]
    context = {
        "order": order,
        "token": token,
        "status_label": status_label,
        "error": None,
        "online": starter.online,
        "method": None,
    }
    method = request.args.get("method")
    if method is None and starter.online:
        return render_template("payment/pay.html", **context)
    if method is not None and method not in PAY_METHODS:
        context["error"] = _("Choose how to pay: by bank card or through SBP.")
        return render_template("payment/pay.html", **context), 400
    return_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "order.order_detail", number=number, t=token
    )
    error = None
    try:
        start = starter.start_payment(db.session(), order, return_url, method or YooKassaMethod.BANK_CARD.value)
    except PaymentUnavailable:
        db.session.rollback()
        error = _("The payment service is not answering right now. Your order is saved; please try again in a minute.")
    except PaymentRefused:
        db.session.rollback()
        error = _("The payment service refused this payment. Please try again or contact us.")
    else:
        if start.redirect_url:
            return redirect(start.redirect_url)
    context["error"] = error
    context["method"] = method
    return render_template("payment/pay.html", **context), (503 if error else 200)


@bp.post("/orders/<number>/pay/check")
def check_payment(number: str) -> Response:
    """«Проверить снова»: ask YooKassa once about the order's open payment, then show the order page (whose
    reloads start again from the first step while the payment is still pending)."""
    order, token = viewable_order(number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    attempt = latest_attempt(db.session(), order.id)
    gateway = current_app.extensions["payment_gateway"]
    if order.awaiting_payment and attempt is not None and attempt.is_open and gateway is not None:
        try:
            refresh_payment(db.session(), gateway, attempt, current_app.extensions["payment_policy"])
            db.session.commit()
        except GatewayError:
            db.session.rollback()
            flash(_("The payment service is not answering right now. Please check again in a minute."), "error")
    return redirect(url_for("order.order_detail", number=number, t=token), 303)


@bp.post("/payments/yookassa/notifications")
@csrf.exempt
def yookassa_notification() -> tuple[str, int]:
    """Allowlist → 403; malformed → 400; stored; the object is re-fetched and only that is acted on."""
    sources = current_app.extensions["notification_sources"]
    address = sources.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"))
    if not sources.is_allowed(request.remote_addr, request.headers.get("X-Forwarded-For")):
        logger.warning("notification from a non-allowed address %s refused", request.remote_addr)
        return "forbidden", 403
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return "malformed notification: the body is too large", 400
    try:
        notification = parse_notification(request.get_data(cache=False))
    except MalformedNotification as error:
        return f"malformed notification: {error}", 400
    gateway = current_app.extensions["payment_gateway"]
    if gateway is None:
        return "no payment gateway configured", 200
    try:
        outcome = handle_notification(
            db.session(), gateway, notification, str(address), current_app.extensions["payment_policy"]
        )
    except GatewayError as error:
        db.session.rollback()
        # No answer (or a refusal) on the re-fetch: YooKassa delivers it again for 24 h, and the
        # periodic re-check covers our open attempts as well.
        logger.warning("notification %s %s: re-fetch failed: %s", notification.event, notification.object_id, error)
        return "the object could not be fetched, try later", 503
    logger.info("notification %s %s: %s", notification.event, notification.object_id, outcome)
    return "ok", 200

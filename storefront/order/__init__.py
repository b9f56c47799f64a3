"""Order area: the buyer's order list, order page with timeline, invoice, «Подтвердить получение»,
placement and status emails (receivers of ``order_placed`` and ``order_status_changed``), and the periodic
expiry of unpaid orders."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, has_app_context

bp = Blueprint("order", __name__)
logger = logging.getLogger(__name__)

#: Fulfilment statuses the buyer gets an email about (placement, payment and refunds have their own).
EMAILED_STATUSES = frozenset({"confirmed", "shipped", "delivered", "completed", "canceled"})


def in_app(app: Flask) -> bool:
    """Whether this runs inside ``app``'s context (a request, `flask run-due`, the in-process runner): the
    signals are process-wide and several apps may exist (tests)."""
    if not has_app_context() or current_app.name != app.name:
        return False
    return current_app._get_current_object() is app  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    from storefront.events import order_paid, order_placed, order_status_changed
    from storefront.order import views  # noqa: F401  (registers the routes on bp)
    from storefront.order.web import (
        delivery_window,
        order_label,
        payment_status_label,
        progress_label,
        reason_label,
        status_label,
        step_label,
    )

    for helper in (
        order_label,
        payment_status_label,
        reason_label,
        status_label,
        step_label,
        progress_label,
        delivery_window,
    ):
        app.add_template_global(helper)

    def email_placement(sender: Any, **placed: Any) -> None:
        if not in_app(app):
            return
        from storefront.order.web import send_placed_email

        try:
            send_placed_email(placed["order_id"])
        except Exception:  # an email must never undo or break the placement itself
            logger.exception("placement email for order %s failed", placed["number"])

    def email_status_change(sender: Any, **change: Any) -> None:
        if change["to_status"] not in EMAILED_STATUSES or not in_app(app):
            return
        from storefront.order.web import send_status_email

        try:
            send_status_email(change["order_id"], change["to_status"])
        except Exception:  # an email must never undo or break the change itself
            logger.exception("status email for order %s failed", change["number"])

    def email_payment(sender: Any, **paid: Any) -> None:
        if not in_app(app):
            return
        from storefront.order.web import send_status_email

        try:
            send_status_email(paid["order_id"], "paid")
        except Exception:  # an email must never undo or break the payment itself
            logger.exception("payment email for order %s failed", paid["number"])

    order_placed.connect(email_placement)
    order_status_changed.connect(email_status_change)
    order_paid.connect(email_payment)
    # The signals hold receivers weakly: the app keeps them alive.
    app.extensions["order_emails"] = (email_placement, email_status_change, email_payment)
    app.register_blueprint(bp)

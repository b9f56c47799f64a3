"""Order area: the buyer's order list, order page with timeline, invoice, «Подтвердить получение»,
status emails, and the periodic expiry of unpaid orders."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, has_app_context

bp = Blueprint("order", __name__)
logger = logging.getLogger(__name__)

#: Statuses the buyer gets an email about (placement has its own confirmation email).
EMAILED_STATUSES = frozenset(
    {"paid", "shipped", "delivered", "completed", "canceled", "refunded", "partially_refunded"}
)


def init_app(app: Flask) -> None:
    from storefront.events import order_status_changed
    from storefront.order import views  # noqa: F401  (registers the routes on bp)

    def email_status_change(sender: Any, **change: Any) -> None:
        # Only inside this app's context (a request, `flask run-due`, the in-process runner): the
        # signal is process-wide and several apps may exist (tests).
        if change["to_status"] not in EMAILED_STATUSES or not has_app_context() or current_app.name != app.name:
            return
        if current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            return
        from storefront.order.web import send_status_email

        try:
            send_status_email(change["order_id"])
        except Exception:  # an email must never undo or break the change itself
            logger.exception("status email for order %s failed", change["number"])

    order_status_changed.connect(email_status_change)
    app.extensions["order_status_email"] = email_status_change  # keeps the receiver alive with the app
    app.register_blueprint(bp)

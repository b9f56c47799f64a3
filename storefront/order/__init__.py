"""Order area: the buyer's order list, order page with timeline, invoice, «Подтвердить получение»,
placement and status emails (receivers of ``order_placed`` and ``order_status_changed``), and the periodic
expiry of unpaid orders."""

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


def _in_app(app: Flask) -> bool:
    """Whether this runs inside ``app``'s context (a request, `flask run-due`, the in-process runner): the
    signals are process-wide and several apps may exist (tests)."""
    if not has_app_context() or current_app.name != app.name:
        return False
    return current_app._get_current_object() is app  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    from storefront.events import order_placed, order_status_changed
    from storefront.order import views  # noqa: F401  (registers the routes on bp)

    def email_placement(sender: Any, **placed: Any) -> None:
        if not _in_app(app):
            return
        from storefront.order.web import send_placed_email

        try:
            send_placed_email(placed["order_id"])
        except Exception:  # an email must never undo or break the placement itself
            logger.exception("placement email for order %s failed", placed["number"])

    def email_status_change(sender: Any, **change: Any) -> None:
        if change["to_status"] not in EMAILED_STATUSES or not _in_app(app):
            return
        from storefront.order.web import send_status_email

        try:
            send_status_email(change["order_id"])
        except Exception:  # an email must never undo or break the change itself
            logger.exception("status email for order %s failed", change["number"])

    order_placed.connect(email_placement)
    order_status_changed.connect(email_status_change)
    # The signals hold receivers weakly: the app keeps them alive.
    app.extensions["order_placed_email"] = email_placement
    app.extensions["order_status_email"] = email_status_change
    app.register_blueprint(bp)

"""Order area: the buyer's order list, order page with timeline, invoice, «Подтвердить получение»,
placement, payment and status e-mails (``web.py``'s renderers of what the use cases announce with
``storefront.outbox.expect_mail``), and the periodic expiry of unpaid orders."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("order", __name__)


def init_app(app: Flask) -> None:
    from storefront.order import views  # noqa: F401  (registers the routes on bp)
    from storefront.order.invoice import payment_due_date
    from storefront.order.web import (  # the e-mail renderers register on import
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
        payment_due_date,
    ):
        app.add_template_global(helper)

    app.register_blueprint(bp)

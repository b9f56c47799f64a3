"""Closing documents for company buyers and their accountants (drawn with ``storefront.paperwork``):
the УПД issued when a company's order is handed over (``upd.py``, numbered by ``numbering.py``), the акт сверки
(``reconciliation.py``), how both read (``printing.py``), the buyer's pages (``views.py``), the e-mail
(``web.py``) and ``flask documents issue-missing`` (``cli.py``).

``init_app`` connects ``issue_on_delivery`` to ``storefront.events.order_delivered`` (sent inside the transaction
that delivers the order): the УПД is issued, and its e-mail owed, in that same commit, whichever path delivered
the order (the last shipment's «delivered» event, staff, a job).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, has_app_context

from storefront.config import SETTINGS
from storefront.seller import Seller, seller_of

bp = Blueprint("documents", __name__)


def current_seller() -> Seller:
    """The app's seller; outside an app (a service called on its own) the settings' defaults."""
    if has_app_context():
        return seller_of(current_app)
    return Seller.from_config({setting.name: setting.value({}, "development") for setting in SETTINGS})


def issue_on_delivery(sender: object, **fact: Any) -> None:
    from storefront.documents.upd import issue_upd
    from storefront.order.models import Order

    session = fact["session"]
    order = session.get(Order, fact["order_id"])
    if order is not None:
        issue_upd(session, order, current_seller(), fact["now"])


def init_app(app: Flask) -> None:
    from storefront.documents import views, web  # noqa: F401  (routes on bp; the e-mail renderer)
    from storefront.documents.cli import documents_group
    from storefront.events import order_delivered

    order_delivered.connect(issue_on_delivery, weak=False)  # process-wide and idempotent
    app.add_template_global(web.closing_document)
    app.register_blueprint(bp)
    app.cli.add_command(documents_group)

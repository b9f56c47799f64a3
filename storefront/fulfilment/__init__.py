"""Fulfilment: shipments of an order in one or more parts, tracking events (by staff, from the consolidator's
CSV, from a cargo batch), consolidated cargo batches, and our own tracking page for the cargo route
(``/tracking/<number>``). The staff pages are the CRM's (``crm/fulfilment``)."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("fulfilment", __name__)


def init_app(app: Flask) -> None:
    from storefront.fulfilment import views  # noqa: F401  (registers the routes on bp)
    from storefront.fulfilment.web import (
        event_label,
        leg_mode_label,
        leg_status_label,
        order_shipments,
        shipment_link,
    )

    for helper in (event_label, leg_mode_label, leg_status_label, order_shipments, shipment_link):
        app.add_template_global(helper)
    app.register_blueprint(bp)

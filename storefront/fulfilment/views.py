"""Our own tracking page for the consolidated cargo route: the events of the shipments with a tracking number,
without anything personal (no names, addresses or order contents)."""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.extensions import db
from storefront.fulfilment import bp
from storefront.fulfilment.models import Shipment
from storefront.fulfilment.tracking import normalise_number


@bp.get("/tracking/<number>")
def tracking_page(number: str) -> str:
    wanted = normalise_number(number)
    if not 3 <= len(wanted) <= 64:
        abort(404)
    shipments = list(
        db.session.scalars(
            select(Shipment)
            .where(Shipment.tracking_number == wanted)
            .options(selectinload(Shipment.events))
            .order_by(Shipment.id)
        )
    )
    if not shipments:
        abort(404)
    return render_template("fulfilment/tracking.html", number=wanted, shipments=shipments)

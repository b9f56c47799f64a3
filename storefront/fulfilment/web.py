"""The request side of shipments: event and leg labels, what the buyer's order page and e-mails show (template
globals registered by ``init_app``), the «ещё одна посылка» e-mail."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from storefront.emails import mail_renderer, queue_templated
from storefront.extensions import db
from storefront.fulfilment.models import EventKind, LegMode, LegStatus, Shipment
from storefront.fulfilment.services import left_to_ship, list_shipments
from storefront.fulfilment.tracking import tracking_url
from storefront.order.models import Order, OrderLine


def event_label(kind: str) -> str:
    labels: dict[str, str] = {
        EventKind.RECEIVED_HARBIN: _("Received at the Harbin warehouse"),
        EventKind.DEPARTED: _("Departed"),
        EventKind.CUSTOMS: _("At customs"),
        EventKind.ARRIVED_RUSSIA: _("Arrived in Russia"),
        EventKind.LAST_MILE: _("Handed to the delivery service"),
        EventKind.DELIVERED: _("Delivered"),
    }
    return labels.get(kind, kind)


def leg_mode_label(mode: str) -> str:
    labels: dict[str, str] = {
        LegMode.RAIL: _("rail"),
        LegMode.TRUCK: _("truck"),
        LegMode.AIR: _("air"),
        LegMode.SEA: _("sea"),
    }
    return labels.get(mode, mode)


def leg_status_label(status: str) -> str:
    labels: dict[str, str] = {
        LegStatus.PLANNED: _("planned"),
        LegStatus.IN_TRANSIT: _("on the way"),
        LegStatus.ARRIVED: _("arrived"),
    }
    return labels.get(status, status)


def shipment_link(shipment: Shipment, absolute: bool = False) -> str | None:
    """Where to follow the parcel; our own tracking page absolute (with PUBLIC_BASE_URL) for e-mails."""
    site = current_app.config["PUBLIC_BASE_URL"] if absolute else ""
    return tracking_url(shipment.carrier, shipment.tracking_number, site)


@dataclass(frozen=True)
class OrderShipments:
    shipments: list[Shipment]
    #: Lines with units still to send, and how many.
    remaining: list[tuple[OrderLine, int]]


def order_shipments(order: Order) -> OrderShipments:
    """The order's shipments (with lines and events) and what remains to be sent, for pages and e-mails."""
    session = db.session()
    left = left_to_ship(session, order)
    remaining = [(line, left[line.id]) for line in order.lines if left.get(line.id, 0) > 0]
    return OrderShipments(list_shipments(session, order.id), remaining)


@mail_renderer("order_shipment")
def queue_shipment_email(session: Session, shipment_id: int) -> None:
    """The Russian «отправлена ещё одна посылка» e-mail for a further part of an already shipped order (the CRM's
    «Отправить» announces it with ``expect_mail``)."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        return
    order = shipment.order
    subject = _("Order %(number)s: one more parcel is on its way", number=order.number)
    queue_templated(session, "order_shipment", order.email, subject, order=order, shipment=shipment)

"""Shipments, tracking events and consolidated cargo for staff: the «Отправить» and «Добавить событие» forms on
the order page (``crm/templates/crm/fulfilment/_order_shipments.html``), cargo batches (list, page, legs, events,
shipments in and out) and the consolidator's CSV import. The domain is ``storefront.fulfilment``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("fulfilment", __name__)

"""The dispute desk (``/crm/disputes``): the queue with its answer deadlines (overdue ones flagged, a task for the
buyer's account manager once), a dispute's page with the thread, internal notes, photos and the decision.
Decisions and refunds are ``storefront.protection.services``; this area words, permits and audits them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("disputes", __name__, url_prefix="/disputes")

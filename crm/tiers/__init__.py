"""VIP tiers: the policy admins edit, spend-based assignment, upgrade on payment, periodic recalculation."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tiers", __name__, url_prefix="/tiers")

"""Buyer 360°: the list with filters and the buyer card (every card view audited)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("buyers", __name__, url_prefix="/buyers")

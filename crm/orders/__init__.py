"""The staff order page: lines, totals, payments, refunds, status history, and refunds by staff."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

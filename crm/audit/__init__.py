"""The audit log of staff actions on personal data and policy (card views, exports, tier changes)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

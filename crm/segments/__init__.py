"""Marketing segments: stored definitions compiled to one SQL query over buyers; the builder pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("segments", __name__, url_prefix="/segments")

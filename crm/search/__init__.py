"""Search in the CRM: the synonyms marketers keep (layered over the built-in list) and the demand signals
(queries that found nothing or little)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("search", __name__, url_prefix="/search")

"""Personal data in the CRM: a buyer's export and erasure from the card (admins, audited, with the CRM's share of
the data as a ``storefront.privacy`` part) and the legal pages' editor (each publish is a new version)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("privacy", __name__)

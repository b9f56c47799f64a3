"""Buyers' data rights under 152-FZ: the export of everything we hold (``export.py``) and erasure
(``erasure.py``), from the account page and, through the CRM's part (``parts.py``), from the CRM card."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("privacy", __name__, url_prefix="/account/privacy")


def init_app(app: Flask) -> None:
    from storefront.privacy import views  # noqa: F401  (registers the routes on bp)

    app.register_blueprint(bp)

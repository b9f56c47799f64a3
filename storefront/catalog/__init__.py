"""Catalogue area: home page, category listings, product pages."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("catalog", __name__)


def init_app(app: Flask) -> None:
    from storefront.catalog import views  # noqa: F401  (registers the routes on bp)

    app.register_blueprint(bp)

"""Catalogue area: home page, category listings, product pages."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("catalog", __name__)


def init_app(app: Flask) -> None:
    from storefront.catalog import views  # noqa: F401  (registers the routes on bp)
    from storefront.catalog.queries import configure_category_cache
    from storefront.catalog.text import description_markup

    configure_category_cache(app.config["CATEGORY_CACHE_SECONDS"])
    app.jinja_env.filters["description"] = description_markup

    app.register_blueprint(bp)

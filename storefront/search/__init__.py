"""Search area: the results page, autocomplete, and the index kept in step with products."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("search", __name__)


def init_app(app: Flask) -> None:
    from storefront.search import index, views  # noqa: F401  (index: flush listener; views: routes)
    from storefront.search.highlight import highlight

    app.add_template_global(highlight, "highlight")
    app.register_blueprint(bp)

"""Order area: the buyer's order list, order page with timeline, invoice, «Подтвердить получение»."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("order", __name__)


def init_app(app: Flask) -> None:
    from storefront.order import views  # noqa: F401  (registers the routes on bp)

    app.register_blueprint(bp)

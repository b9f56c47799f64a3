"""Checkout area: the one-page checkout, placing the order, «Повторить заказ»."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("checkout", __name__)


def init_app(app: Flask) -> None:
    from storefront.checkout import views  # noqa: F401  (registers the routes on bp)

    app.register_blueprint(bp)

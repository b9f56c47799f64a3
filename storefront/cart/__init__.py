"""Cart area: the cart page, add/change/remove, the header counter, guest cart merged at sign-in."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("cart", __name__)


def init_app(app: Flask) -> None:
    from storefront.cart import views, web

    web.init_app(app)
    app.context_processor(views.inject_cart_count)
    app.register_blueprint(bp)

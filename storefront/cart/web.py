"""The request side of carts: which cart this browser or buyer has (signed cookie), and what a refused change is
called in Russian, for the cart, product and checkout views. Services never see cookies; they get a ``Cart``."""

from __future__ import annotations

from typing import Literal, overload

from flask import Flask, Response, after_this_request, current_app, flash, g, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, user_logged_in
from itsdangerous import BadSignature, URLSafeSerializer

from storefront.cart.models import Cart
from storefront.cart.services import (
    AboveStock,
    BelowMinimum,
    CartError,
    ProductUnavailable,
    find_buyer_cart,
    find_cart_by_token,
    get_or_create_cart,
    merge_carts,
)
from storefront.extensions import db

COOKIE = "cart"
SALT = "mostik-cart"
MAX_AGE = 60 * 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _cookie_token() -> str | None:
    """The guest cart token from the signed cookie; a tampered cookie is dropped (with a message)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        token = _serializer().loads(raw)
    except BadSignature:
        if not g.get("cart_cookie_warned"):
            g.cart_cookie_warned = True
            flash(_("Your cart could not be read, so it starts empty."), "warning")
            _forget_cookie()
        return None
    return token if isinstance(token, str) else None


def _forget_cookie() -> None:
    @after_this_request
    def delete(response: Response) -> Response:
        response.delete_cookie(COOKIE)
        return response


def _remember(cart: Cart) -> None:
    value = _serializer().dumps(cart.token)

    @after_this_request
    def store(response: Response) -> Response:
        secure = current_app.config["SESSION_COOKIE_SECURE"]  # HTTPS-only in production, like the session
        response.set_cookie(COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="Lax", secure=secure)
        return response


@overload
def current_cart(create: Literal[True]) -> Cart: ...
@overload
def current_cart(create: bool = False) -> Cart | None: ...
def current_cart(create: bool = False) -> Cart | None:
    """This visitor's cart: the buyer's when signed in, else the guest cart named by the cookie."""
    if current_user.is_authenticated:
        cart = find_buyer_cart(db.session(), current_user.id)
        if cart is None and create:
            cart = get_or_create_cart(db.session(), buyer_id=current_user.id, token=None)
        return cart
    token = _cookie_token()
    cart = find_cart_by_token(db.session(), token) if token else None
    if cart is None and create:
        cart = get_or_create_cart(db.session(), buyer_id=None, token=None)
        _remember(cart)
    return cart


def cart_error_message(error: CartError) -> str:
    """What the buyer is told when a cart change is refused (cart, product page, «Купить снова»)."""
    if isinstance(error, BelowMinimum):
        return ngettext(
            "The minimum order for «%(title)s» is %(num)d piece.",
            "The minimum order for «%(title)s» is %(num)d pieces.",
            error.moq,
            title=error.product.title,
        )
    if isinstance(error, AboveStock):
        return ngettext(
            "Only %(num)d piece of «%(title)s» is in stock: order at most that many.",
            "Only %(num)d pieces of «%(title)s» are in stock: order at most that many.",
            error.stock,
            title=error.product.title,
        )
    if isinstance(error, ProductUnavailable):
        return _("This product is not available for order.")
    return _("The cart could not be changed.")


def _merge_on_login(sender: Flask, user: object, **extra: object) -> None:
    token = _cookie_token()
    guest = find_cart_by_token(db.session(), token) if token else None
    merge_carts(db.session(), guest, int(getattr(user, "id")))  # noqa: B009
    if guest is not None:
        _forget_cookie()


def init_app(app: Flask) -> None:
    user_logged_in.connect(_merge_on_login, app)

"""The request side of carts: which cart this browser or buyer has (signed cookie), for the cart and
checkout views. Services never see cookies; they get a ``Cart``."""

from __future__ import annotations

from typing import Literal, overload

from flask import Flask, Response, after_this_request, current_app, flash, g, request
from flask_babel import gettext as _
from flask_login import current_user, user_logged_in
from itsdangerous import BadSignature, URLSafeSerializer

from storefront.cart.models import Cart
from storefront.cart.services import find_buyer_cart, find_cart_by_token, get_or_create_cart, merge_carts
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


def _merge_on_login(sender: Flask, user: object, **extra: object) -> None:
    token = _cookie_token()
    guest = find_cart_by_token(db.session(), token) if token else None
    merge_carts(db.session(), guest, int(getattr(user, "id")))  # noqa: B009
    if guest is not None:
        _forget_cookie()


def init_app(app: Flask) -> None:
    user_logged_in.connect(_merge_on_login, app)

"""Cart pages. Thin: parse the form, call ``cart.services``, say in Russian what is allowed."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from storefront.cart import bp
from storefront.cart.forms import QuantityForm, RemoveForm
from storefront.cart.services import (
    AboveStock,
    BelowMinimum,
    CartError,
    add_to_cart,
    price_cart,
    remove_from_cart,
    set_quantity,
)
from storefront.cart.web import cart_error_message, current_cart
from storefront.extensions import db
from storefront.fx.services import current_pricing
from storefront.pictures.queries import main_picture_keys
from storefront.security import safe_next_url


def _form_error(form: QuantityForm | RemoveForm) -> str:
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return _("The cart could not be changed.")


def cart_count() -> int:
    if "cart_count" not in g:
        try:
            cart = current_cart()
            g.cart_count = len(cart.lines) if cart is not None else 0
        except SQLAlchemyError:  # an error page must still render when the database is down
            db.session.rollback()
            g.cart_count = 0
    return int(g.cart_count)


def inject_cart_count() -> dict[str, Any]:
    return {"cart_count": cart_count}


def _back(default: str) -> str:
    return safe_next_url(request.form.get("next"), default)


def _render_cart(status: int = 200) -> tuple[str, int]:
    cart = current_cart()
    priced = price_cart(db.session(), cart, current_pricing(db.session()))
    pictures = main_picture_keys(db.session(), [line.product.id for line in priced.lines])
    return render_template("cart/cart.html", cart=priced, pictures=pictures, remove_form=RemoveForm()), status


def _refuse(message: str) -> tuple[str, int]:
    """Bad input: nothing changed, the cart page says why (400)."""
    db.session.rollback()
    flash(message, "error")
    return _render_cart(400)


def _back_to_product(error: BelowMinimum | AboveStock, quantity: int) -> Response:
    """A quantity the product does not allow (MOQ, stock): back to the product page with the typed quantity
    and what is allowed, instead of an empty cart page."""
    if isinstance(error, BelowMinimum):
        message = ngettext("The minimum order is %(num)d piece.", "The minimum order is %(num)d pieces.", error.moq)
    else:
        message = ngettext("Only %(num)d piece in stock.", "Only %(num)d pieces in stock.", error.stock)
    flash(message, "error")
    product = error.product
    target = url_for("catalog.product_detail", product_id=product.id, slug=product.slug, quantity=quantity)
    db.session.rollback()
    return redirect(target + "#add-to-cart", 303)


@bp.get("/cart")
def cart_page() -> tuple[str, int]:
    return _render_cart()


@bp.post("/cart/add")
def add() -> Response | tuple[str, int]:
    form = QuantityForm()
    if not form.validate_on_submit():
        return _refuse(_form_error(form))
    cart = current_cart(create=True)
    try:
        line = add_to_cart(db.session(), cart, form.product_id.data, form.quantity.data)
    except (BelowMinimum, AboveStock) as error:
        return _back_to_product(error, form.quantity.data)
    except CartError as error:
        return _refuse(cart_error_message(error))
    db.session.commit()
    flash(
        ngettext(
            "Added to the cart: «%(title)s», now %(num)d piece.",
            "Added to the cart: «%(title)s», now %(num)d pieces.",
            line.quantity,
            title=line.product.title,
        ),
        "success",
    )
    return redirect(_back(url_for("cart.cart_page")), 303)


@bp.post("/cart/update")
def update() -> Response | tuple[str, int]:
    form = QuantityForm()
    if not form.validate_on_submit():
        return _refuse(_form_error(form))
    cart = current_cart()
    if cart is None:
        return _refuse(_("Your cart is empty."))
    try:
        set_quantity(db.session(), cart, form.product_id.data, form.quantity.data)
    except CartError as error:
        return _refuse(cart_error_message(error))
    db.session.commit()
    flash(_("Quantity changed."), "success")
    return redirect(url_for("cart.cart_page"), 303)


@bp.post("/cart/remove")
def remove() -> Response | tuple[str, int]:
    form = RemoveForm()
    cart = current_cart()
    if not form.validate_on_submit() or cart is None:
        return _refuse(_form_error(form))
    remove_from_cart(db.session(), cart, form.product_id.data)
    db.session.commit()
    flash(_("Removed from the cart."), "success")
    return redirect(url_for("cart.cart_page"), 303)

"""The buyer's quotes: the list, one quote, its PDF, and «Оформить заказ по предложению» (on to payment)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from storefront.checkout.services import PlacementResult, announce_placement
from storefront.db import utcnow
from storefront.extensions import db
from storefront.order.holds import HoldPolicy, PaymentMethod, PaymentMethodNotOffered
from storefront.order.services import OutOfStock, TooManyUnpaidOrders
from storefront.order.web import unpaid_cap_message
from storefront.quotes import bp
from storefront.quotes.forms import QuoteAcceptForm
from storefront.quotes.services import (
    QuoteRefused,
    accept_quote,
    acceptance_problem,
    buyer_quote,
    buyer_quotes,
    delivery_preview,
    order_of,
)
from storefront.quotes.web import quote_pdf, refusal_message
from storefront.seller import seller_of
from storefront.shipping.regions import format_address


@bp.get("/account/quotes")
@login_required
def my_quotes() -> str:
    return render_template("quotes/list.html", quotes=buyer_quotes(db.session(), current_user.id))


def _accept_form() -> QuoteAcceptForm:
    return QuoteAcceptForm(bank_transfers=seller_of(current_app).takes_bank_transfers)


def _page(quote_id: int, status: int = 200, form: QuoteAcceptForm | None = None) -> tuple[str, int]:
    quote = buyer_quote(db.session(), current_user.id, quote_id)
    return render_template(
        "quotes/detail.html",
        quote=quote,
        problem=acceptance_problem(quote, utcnow()),
        delivery=delivery_preview(db.session(), quote, current_user),
        order=order_of(db.session(), quote),
        format_address=format_address,
        accept_form=form or _accept_form(),
        banking_days=current_app.config["ORDER_BANK_TRANSFER_BANKING_DAYS"],
    ), status


@bp.get("/account/quotes/<int:quote_id>")
@login_required
def quote_page(quote_id: int) -> tuple[str, int]:
    return _page(quote_id)


@bp.get("/account/quotes/<int:quote_id>.pdf")
@login_required
def quote_pdf_view(quote_id: int) -> Response:
    quote = buyer_quote(db.session(), current_user.id, quote_id)
    response = current_app.response_class(quote_pdf(quote, seller_of(current_app)), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="quote-{quote.id}.pdf"'
    return response


@bp.post("/account/quotes/<int:quote_id>/accept")
@login_required
def quote_accept(quote_id: int) -> Response | tuple[str, int]:
    """One click: the order at the quoted prices, then the payment page. Refusals say why, in Russian, and change
    nothing."""
    quote = buyer_quote(db.session(), current_user.id, quote_id)
    form = _accept_form()
    if not form.validate_on_submit():
        flash(_("The page is out of date. Please try again."), "error")
        return _page(quote_id, 400, form)
    if not form.payment_method_offered(company=current_user.is_company):
        flash(str(form.payment_method.errors[0]), "error")
        return _page(quote_id, 400, form)
    try:
        order = accept_quote(
            db.session(),
            quote,
            current_user,
            utcnow(),
            HoldPolicy.from_config(current_app.config),
            payment_method=form.chosen_payment_method() or PaymentMethod.CARD,
            bank_transfers=form.bank_transfers,
            client_ip=request.remote_addr,
        )
    except QuoteRefused as refused:
        flash(refusal_message(refused), "error")
        return _page(quote_id, 409)
    except OutOfStock as missing:
        flash(
            ngettext(
                "Only %(num)d piece of «%(title)s» is left: ask your manager to change the quote.",
                "Only %(num)d pieces of «%(title)s» are left: ask your manager to change the quote.",
                missing.available,
                title=missing.title,
            ),
            "error",
        )
        return _page(quote_id, 409)
    except TooManyUnpaidOrders as too_many:
        flash(unpaid_cap_message(too_many.cap), "error")
        return _page(quote_id, 429)
    except PaymentMethodNotOffered:  # the form checked it; the requisites were removed in between
        flash(_("Choose how to pay: paying by invoice is not available for this order."), "error")
        return _page(quote_id, 400)
    db.session.commit()
    announce_placement(PlacementResult(order, True))
    flash(_("Order %(number)s is placed at the quoted prices.", number=order.number), "success")
    if order.by_invoice:  # the invoice to pay is on the order page, as after the checkout
        return redirect(url_for("order.order_detail", number=order.number), 303)
    return redirect(url_for("payment.pay", number=order.number), 303)

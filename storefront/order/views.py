"""Order pages: list, detail with timeline, invoice, confirm receipt. Buyers see their own orders;
guests reach theirs through the signed link from the confirmation email (``?t=…``)."""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from storefront.account.forms import EmptyForm, OrderLinkRequestForm, RegistrationForm
from storefront.account.identifiers import format_phone
from storefront.account.services import ConsentRecord, EmailTaken, announce_registration, register_buyer
from storefront.account.utm import session_first_touch
from storefront.account.web import sign_in_buyer
from storefront.db import utcnow
from storefront.extensions import db, limiter
from storefront.moscow import to_moscow
from storefront.order import bp
from storefront.order.invoice import Invoice, build_invoice, invoice_pdf, invoice_qr_png, vat_rate_text
from storefront.order.models import Order
from storefront.order.progress import order_progress
from storefront.order.services import (
    TransitionNotAllowed,
    announce_status_change,
    attach_guest_order,
    confirm_receipt,
    get_order_by_number,
    list_buyer_orders,
)
from storefront.order.web import queue_link_email, viewable_order
from storefront.seller import seller_of
from storefront.shipping.regions import region_name


def _context(order: Order, token: str | None) -> dict[str, object]:
    return {
        "order": order,
        "progress": order_progress(order, to_moscow(utcnow()).date()),
        "token": token,
        "region_name": region_name,
        "action_form": EmptyForm(),
    }


@bp.get("/account/orders")
@login_required
def my_orders() -> str:
    return render_template("order/list.html", orders=list_buyer_orders(db.session(), current_user.id))


@bp.get("/orders/<number>")
def order_detail(number: str) -> str:
    order, token = viewable_order(number)
    return render_template("order/detail.html", **_context(order, token))


def _invoice(number: str) -> tuple[Invoice, str | None]:
    """A company's order invoice, for whoever may see the order (``viewable_order``); a person's order has none."""
    order, token = viewable_order(number)
    if not order.is_company:
        abort(404)
    return build_invoice(order, seller_of(current_app)), token


@bp.get("/orders/<number>/invoice")
def invoice(number: str) -> str:
    found, token = _invoice(number)
    return render_template(
        "order/invoice.html", invoice=found, vat_rate=vat_rate_text(), **_context(found.order, token)
    )


@bp.get("/orders/<number>/invoice.pdf")
def invoice_pdf_file(number: str) -> Response:
    found, _token = _invoice(number)
    response = make_response(invoice_pdf(found))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="invoice-{found.order.number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/orders/<number>/invoice-qr.png")
def invoice_qr(number: str) -> Response:
    """The invoice's payment QR code; none (404) once the invoice no longer asks for a transfer."""
    found, _token = _invoice(number)
    png = invoice_qr_png(found)
    if png is None:
        abort(404)
    response = make_response(png)
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/orders/<number>/new-link")
@limiter.limit(lambda: current_app.config["GUEST_LINK_REQUEST_LIMIT"])
def request_new_link(number: str) -> tuple[str, int]:
    """A guest whose link expired or was revoked asks for a new one: it goes to the order's own address, and the
    answer is the same whether or not the address matched (nothing to learn about orders or addresses here)."""
    order = get_order_by_number(db.session(), number)
    form = OrderLinkRequestForm()
    if not form.validate_on_submit():
        return render_template("order/link_expired.html", number=number, form=form), 400
    if form.email.data == order.email.strip().lower():
        queue_link_email(db.session(), order)
        db.session.commit()
    return render_template("order/link_expired.html", number=number, form=None), 200


@bp.post("/orders/<number>/confirm-receipt")
def confirm_receipt_view(number: str) -> Response | tuple[str, int]:
    order, token = viewable_order(number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        previous = order.status
        confirm_receipt(db.session(), order, current_user.id if current_user.is_authenticated else None)
    except TransitionNotAllowed:
        db.session.rollback()
        flash(_("Receipt can be confirmed only for a delivered order."), "error")
        return render_template("order/detail.html", **_context(order, token)), 409
    db.session.commit()
    announce_status_change(order, previous)
    flash(_("Thank you! The order is completed."), "success")
    return redirect(url_for("order.order_detail", number=number, t=token), 303)


@bp.route("/orders/<number>/create-account", methods=["GET", "POST"])
def create_account(number: str) -> str | Response | tuple[str, int]:
    """A guest turns their order into an account: contact details come from the order."""
    order, token = viewable_order(number)
    if current_user.is_authenticated or order.buyer_id is not None:
        return redirect(url_for("order.order_detail", number=number, t=token))
    form = RegistrationForm(
        data={
            "email": order.email,
            "name": order.contact_name,
            "phone": format_phone(order.phone),
            "kind": order.buyer_kind,
            "company_name": order.company_name,
            "inn": order.inn,
            "kpp": order.kpp,
            "ogrn": order.ogrn,
            "legal_address": order.legal_address,
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            buyer = register_buyer(
                db.session(),
                **form.buyer_fields(),
                consent=ConsentRecord(request.path, request.remote_addr, bool(form.consent_marketing.data)),
                first_touch=session_first_touch(),
            )
        except EmailTaken:
            db.session.rollback()
            form.email.errors = [_("An account with this email already exists. Sign in or reset the password.")]
        else:
            attach_guest_order(db.session(), order, buyer.id, buyer.email)
            sign_in_buyer(buyer)  # merges the guest cart (``user_logged_in``)
            db.session.commit()
            announce_registration(buyer)
            flash(_("Welcome to Mostik! Your account is ready."), "success")
            return redirect(url_for("order.order_detail", number=number), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("account/register.html", form=form, action=request.full_path), status

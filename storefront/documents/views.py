"""The buyer's УПД: the page and the PDF, for whoever may see the order (``order.web.viewable_order``)."""

from __future__ import annotations

from flask import abort, make_response, render_template
from werkzeug.wrappers import Response

from storefront.documents import bp
from storefront.documents.models import Upd
from storefront.documents.printing import upd_pdf, upd_sheet
from storefront.documents.upd import upd_for_order
from storefront.extensions import db
from storefront.order.models import Order
from storefront.order.web import viewable_order


def _order_upd(number: str) -> tuple[Order, Upd, str | None]:
    order, token = viewable_order(number)
    upd = upd_for_order(db.session(), order.id) if order.is_company else None
    if upd is None:
        abort(404)
    return order, upd, token


def pdf_response(pdf: bytes, filename: str) -> Response:
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def upd_filename(upd: Upd) -> str:
    return f"UPD-{upd.year}-{upd.number}.pdf"


@bp.get("/orders/<number>/upd")
def upd_page(number: str) -> str:
    order, upd, token = _order_upd(number)
    return render_template("documents/upd.html", order=order, upd=upd, sheet=upd_sheet(upd), token=token)


@bp.get("/orders/<number>/upd.pdf")
def upd_download(number: str) -> Response:
    _order, upd, _token = _order_upd(number)
    return pdf_response(upd_pdf(upd), upd_filename(upd))

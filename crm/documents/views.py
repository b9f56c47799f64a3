"""The УПД (page and PDF) and the акт сверки (page and PDF) in the CRM. Thin: the documents are
``storefront.documents``; who may open an акт is ``may_reconcile`` (an account manager only for their own
buyers, ``sees_buyer_in_full``)."""

from __future__ import annotations

from flask import abort, render_template, request
from werkzeug.wrappers import Response

from crm.auth import current_staff
from crm.buyers.queries import manager_of
from crm.documents import bp
from crm.documents.forms import ReconciliationPeriodForm
from crm.permissions import MANAGER, has_permission, requires, sees_buyer_in_full
from storefront.account.models import Buyer
from storefront.db import utcnow
from storefront.documents import current_seller
from storefront.documents.models import Upd
from storefront.documents.printing import (
    balance_words,
    reconciliation_pdf,
    reconciliation_sheet,
    upd_pdf,
    upd_sheet,
)
from storefront.documents.reconciliation import reconcile
from storefront.documents.upd import get_upd, upds_of_buyer
from storefront.documents.views import pdf_response, upd_filename
from storefront.extensions import db
from storefront.moscow import to_moscow
from storefront.order.models import Order


@bp.app_template_global()
def may_reconcile(buyer_id: int) -> bool:
    """The signed-in staff member may open this buyer's акт сверки."""
    staff = current_staff()
    if staff is None or not has_permission(staff.role, "reconciliation.view"):
        return False
    if staff.role != MANAGER:
        return True
    return sees_buyer_in_full(staff.role, staff.id, manager_of(db.session(), buyer_id))


@bp.app_template_global()
def buyer_upds(buyer_id: int) -> list[tuple[Upd, str]]:
    """The buyer's УПД, newest first, with their orders' numbers (the buyer card lists them)."""
    return upds_of_buyer(db.session(), buyer_id)


def _upd(upd_id: int) -> tuple[Upd, Order]:
    upd = get_upd(db.session(), upd_id)
    order = db.session.get(Order, upd.order_id) if upd is not None else None
    if upd is None or order is None:
        abort(404)
    return upd, order


@bp.get("/upd/<int:upd_id>")
@requires("documents.view")
def upd_page(upd_id: int) -> str:
    upd, order = _upd(upd_id)
    return render_template("crm/documents/upd.html", upd=upd, order=order, sheet=upd_sheet(upd))


@bp.get("/upd/<int:upd_id>.pdf")
@requires("documents.view")
def upd_download(upd_id: int) -> Response:
    upd, _order = _upd(upd_id)
    return pdf_response(upd_pdf(upd), upd_filename(upd))


def _buyer(buyer_id: int) -> Buyer:
    buyer = db.session.get(Buyer, buyer_id)
    if buyer is None:
        abort(404)
    if not may_reconcile(buyer.id):
        abort(403)
    return buyer


def _parties(buyer: Buyer) -> tuple[dict[str, str], dict[str, str]]:
    seller = current_seller()
    ours = {"name": seller.name, "inn": seller.inn}
    theirs = {"name": buyer.company_name or buyer.name, "inn": buyer.inn or ""}
    return ours, theirs


@bp.get("/reconciliation/<int:buyer_id>")
@requires("reconciliation.view")
def reconciliation(buyer_id: int) -> tuple[str, int]:
    """The акт сверки for the period in the query (by default this year up to today); bad dates: 400."""
    buyer = _buyer(buyer_id)
    form = ReconciliationPeriodForm(request.args)
    if not form.validate():
        return render_template("crm/documents/reconciliation.html", buyer=buyer, form=form, sheet=None), 400
    start, end = form.period(to_moscow(utcnow()).date())
    statement = reconcile(db.session(), buyer.id, start, end)
    ours, theirs = _parties(buyer)
    return render_template(
        "crm/documents/reconciliation.html",
        buyer=buyer,
        form=form,
        statement=statement,
        sheet=reconciliation_sheet(statement, ours, theirs),
        words=balance_words(statement.closing, ours["name"], theirs["name"]),
    ), 200


@bp.get("/reconciliation/<int:buyer_id>.pdf")
@requires("reconciliation.view")
def reconciliation_download(buyer_id: int) -> Response | tuple[str, int]:
    buyer = _buyer(buyer_id)
    form = ReconciliationPeriodForm(request.args)
    if not form.validate():
        return render_template("crm/documents/reconciliation.html", buyer=buyer, form=form, sheet=None), 400
    start, end = form.period(to_moscow(utcnow()).date())
    ours, theirs = _parties(buyer)
    sheet = reconciliation_sheet(reconcile(db.session(), buyer.id, start, end), ours, theirs)
    return pdf_response(reconciliation_pdf(sheet, ours["name"]), f"reconciliation-{buyer.id}-{start}-{end}.pdf")

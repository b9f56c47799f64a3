"""The staff order list (/crm/orders/) and its audited CSV export. Thin: the query is ``crm.orders.listing``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from flask import render_template, request, stream_with_context
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.csv_export import csv_lines
from crm.orders import bp
from crm.orders.list_forms import OrderFilterForm
from crm.orders.listing import TABS, OrderFilters, OrderRow, export_rows, order_page, tab_counts
from crm.permissions import requires
from crm.staff.models import Role, StaffUser
from crm.staff.queries import account_managers
from crm.tiers.services import tiers_in_order
from storefront.extensions import db
from storefront.moscow import to_moscow
from storefront.order.models import PaymentStatus
from storefront.order.web import payment_status_label, status_label
from storefront.shipping.models import ShippingMethod


def _form(staff: StaffUser) -> OrderFilterForm:
    form = OrderFilterForm(request.args)
    if staff.role == Role.ACCOUNT_MANAGER and "manager" not in request.args:
        form.manager.data = str(staff.id)  # a manager lands on their own buyers' orders; «Все» clears it
    return form


def _filters(form: OrderFilterForm) -> OrderFilters:
    return OrderFilters(
        status=form.status.data or None,
        payment_status=form.payment_status.data or None,
        placed_from=form.placed_from.data,
        placed_to=form.placed_to.data,
        paid_from=form.paid_from.data,
        paid_to=form.paid_to.data,
        search=form.q.data or None,
        manager_id=form.manager_id,
        tier_id=form.tier.data,
        shipping_method_id=form.shipping.data,
        unshipped_days=form.unshipped_days.data,
        sort=form.sort.data or "placed",
        descending=form.order.data != "asc",
    )


def _errors(form: OrderFilterForm) -> str:
    return "; ".join(f"{field.label.text}: {error}" for field in form for error in field.errors)


def _context(form: OrderFilterForm) -> dict[str, object]:
    session = db.session()
    return {
        "form": form,
        "tabs": TABS,
        "payment_statuses": list(PaymentStatus),
        "tiers": tiers_in_order(session),
        "managers": account_managers(session, active_only=False),
        "shipping_methods": list(session.query(ShippingMethod).order_by(ShippingMethod.position, ShippingMethod.id)),
    }


@bp.get("/")
@requires("orders.list")
def order_list() -> tuple[str, int]:
    """Tabs with counts (one GROUP BY) and one page (one SELECT); a bad filter is a 400 with its Russian message."""
    staff = require_staff()
    form = _form(staff)
    if request.args and not form.validate():
        return render_template("crm/orders.html", page=None, counts=None, **_context(form)), 400
    filters = _filters(form)
    counts = tab_counts(db.session(), filters)
    page = order_page(db.session(), filters, form.page.data or 1, total=counts.of(filters.status))
    return render_template("crm/orders.html", page=page, counts=counts, **_context(form)), 200


def _csv_row(row: OrderRow, contacts: bool) -> list[object]:
    return [
        row.number,
        to_moscow(row.created_at).strftime("%d.%m.%Y %H:%M"),
        to_moscow(row.paid_at).strftime("%d.%m.%Y %H:%M") if row.paid_at else "",
        status_label(row.status),
        payment_status_label(row.payment_status),
        f"{row.total_amount:.2f}".replace(".", ","),
        row.buyer_name,
        row.company_name or "",
        row.inn or "",
        row.email if contacts else "",
        row.phone if contacts else "",
        row.city,
        row.shipping_method_name,
        row.tier_name or "",
        row.manager_name or "",
    ]


@bp.get("/export.csv")
@requires("orders.export")
def order_export() -> Response:
    """The filtered list as CSV, streamed (UTF-8 with BOM, «;» for Russian Excel, formula-safe cells); every
    export is audited. An account manager exports only their own buyers' orders."""
    staff = require_staff()
    form = _form(staff)
    if not form.validate():
        return Response(_("Check the filters: %(errors)s", errors=_errors(form)), status=400, mimetype="text/plain")
    filters = _filters(form)
    if staff.role == Role.ACCOUNT_MANAGER:
        filters = replace(filters, manager_id=staff.id)
    query = request.query_string.decode("utf-8", "replace")
    record(db.session(), staff, AuditAction.ORDERS_EXPORT, "orders", "", request.remote_addr, f"filters: {query}")
    db.session.commit()
    header = [
        _("Order number"),
        _("Placed"),
        _("Paid"),
        _("Goods status"),
        _("Payment status"),
        _("Total, ₽"),
        _("Buyer"),
        _("Company"),
        _("INN"),
        _("Email"),
        _("Phone"),
        _("City"),
        _("Shipping method"),
        _("Tier"),
        _("Manager"),
    ]

    def rows() -> Iterator[list[object]]:
        yield header
        # Streamed after the view returned: the Session is looked up again (stream_with_context keeps the app).
        for row in export_rows(db.session(), filters):
            yield _csv_row(row, contacts=True)

    return Response(
        stream_with_context(line.encode("utf-8") for line in csv_lines(rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=orders.csv"},
    )

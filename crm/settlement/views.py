"""Finance pages: the ledger's balances and what each supplier is owed, a supplier's statement for a period (page
and audited CSV), payout batches (create, mark paid with the bank's reference, cancel an open one with a reason; all
audited)."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.csv_export import csv_download
from crm.permissions import requires
from crm.settlement import bp
from crm.settlement.forms import CancelBatchForm, CreatePayoutForm, MarkPaidForm, StatementPeriodForm
from crm.staff.models import StaffUser
from storefront.catalog.models import Supplier
from storefront.db import utcnow
from storefront.extensions import db
from storefront.money import from_minor
from storefront.moscow import to_moscow
from storefront.settlement.models import TransactionKind
from storefront.settlement.payouts import (
    PayoutRefused,
    batches,
    cancel_batch,
    create_batch,
    dues,
    get_batch,
    mark_paid,
    open_batch,
)
from storefront.settlement.statements import Statement, account_totals, supplier_statement

KIND_LABELS = {
    TransactionKind.CAPTURE: _l("Payment"),
    TransactionKind.CONFIRM: _l("Order confirmed"),
    TransactionKind.REFUND: _l("Refund"),
    TransactionKind.PAYOUT: _l("Payout"),
    TransactionKind.REVERSAL: _l("Correction"),
}


@bp.app_template_filter("kopecks")
def kopecks_filter(value: int) -> object:
    """Kopecks → the Decimal the ``rub`` filter writes."""
    return from_minor(value)


@bp.get("/")
@requires("settlement.view")
def overview() -> str:
    session = db.session()
    return render_template(
        "crm/settlement/overview.html", totals=account_totals(session), dues=dues(session), batch=open_batch(session)
    )


def _period(form: StatementPeriodForm) -> tuple[date, date]:
    today = to_moscow(utcnow()).date()
    end = form.date_to.data or today
    return form.date_from.data or end.replace(day=1), end


def _supplier_or_404(supplier_id: int) -> Supplier | tuple[str, int]:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        return render_template("crm/message.html", message=_("There is no such supplier.")), 404
    return supplier


@bp.get("/suppliers/<int:supplier_id>")
@requires("settlement.view")
def statement(supplier_id: int) -> tuple[str, int]:
    supplier = _supplier_or_404(supplier_id)
    if not isinstance(supplier, Supplier):
        return supplier
    form = StatementPeriodForm(request.args)
    if not form.validate():
        return render_template(
            "crm/settlement/statement.html", supplier=supplier, form=form, statement=None, kinds=KIND_LABELS
        ), 400
    start, end = _period(form)
    found = supplier_statement(db.session(), supplier.id, start, end)
    return render_template(
        "crm/settlement/statement.html", supplier=supplier, form=form, statement=found, kinds=KIND_LABELS
    ), 200


def _csv_rows(found: Statement) -> list[list[object]]:
    header = [_("Date (Moscow)"), _("Operation"), _("Order"), _("Reference"), _("Goods"), _("Commission")]
    rows: list[list[object]] = [[*header, _("To the supplier")]]
    for line in found.lines:
        rows.append(
            [
                to_moscow(line.at).strftime("%d.%m.%Y %H:%M"),
                str(KIND_LABELS[line.kind]),
                line.order_number or "",
                line.reference,
                from_minor(line.gross),
                from_minor(line.commission),
                from_minor(line.payable),
            ]
        )
    rows.append([])
    for label, amount in (
        (_("Opening balance"), found.opening),
        (_("Goods confirmed"), found.confirmed),
        (_("Commission"), found.commission),
        (_("Refunds"), found.refunds),
        (_("Payouts"), found.payouts),
        (_("Corrections"), found.corrections),
        (_("Closing balance"), found.closing),
    ):
        rows.append([label, "", "", "", "", "", from_minor(amount)])
    return rows


@bp.get("/suppliers/<int:supplier_id>/statement.csv")
@requires("settlement.export")
def statement_csv(supplier_id: int) -> Response | tuple[str, int]:
    """The statement as CSV (UTF-8 with BOM, «;»); every export is audited."""
    supplier = _supplier_or_404(supplier_id)
    if not isinstance(supplier, Supplier):
        return supplier
    form = StatementPeriodForm(request.args)
    if not form.validate():
        return Response(
            _("Check the period: a date like 2026-12-01, the end after the start."), 400, mimetype="text/plain"
        )
    start, end = _period(form)
    found = supplier_statement(db.session(), supplier.id, start, end)
    record(
        db.session(),
        require_staff(),
        AuditAction.STATEMENT_EXPORT,
        "supplier",
        supplier.id,
        request.remote_addr,
        f"{supplier.name}: {start.isoformat()}…{end.isoformat()}",
    )
    db.session.commit()
    return csv_download(_csv_rows(found), f"statement-{supplier.id}-{start}-{end}.csv")


def _staff_names(*ids: int | None) -> dict[int, str]:
    wanted = [staff_id for staff_id in ids if staff_id is not None]
    if not wanted:
        return {}
    return {staff.id: staff.display_name for staff in db.session.query(StaffUser).filter(StaffUser.id.in_(wanted))}


def _payouts_page(form: CreatePayoutForm, status: int = 200) -> tuple[str, int]:
    session = db.session()
    return render_template(
        "crm/settlement/payouts.html",
        dues=dues(session),
        batch=open_batch(session),
        batches=batches(session),
        form=form,
    ), status


@bp.get("/payouts")
@requires("settlement.view")
def payouts() -> tuple[str, int]:
    return _payouts_page(CreatePayoutForm())


_REFUSALS = {
    "nothing_due": _l("No supplier is owed anything now: there is nothing to pay out."),
    "open_batch": _l("The open payout batch must be marked paid first."),
    "already_paid": _l("This batch is already marked paid; nothing was changed."),
    "already_canceled": _l("This batch is cancelled; nothing was changed."),
    "no_reason": _l("Say why the batch is cancelled (at most 200 characters)."),
    "no_reference": _l("Enter the bank's reference (at most 64 characters)."),
}


@bp.post("/payouts")
@requires("payouts.edit")
def payout_create() -> Response | tuple[str, int]:
    form = CreatePayoutForm()
    if not form.validate_on_submit():
        return _payouts_page(form, 400)
    staff = require_staff()
    try:
        batch = create_batch(db.session(), staff.id)
    except PayoutRefused as refused:
        db.session.rollback()
        flash(str(_REFUSALS[refused.reason]), "error")
        if refused.batch_id is not None:
            return redirect(url_for("crm.settlement.payout_batch", batch_id=refused.batch_id))
        return redirect(url_for("crm.settlement.payouts"))
    detail = f"№{batch.id}: {len(batch.lines)} × {from_minor(batch.total)} ₽"
    record(db.session(), staff, AuditAction.PAYOUT_BATCH_CREATE, "payout_batch", batch.id, request.remote_addr, detail)
    db.session.commit()
    flash(_("Payout batch №%(id)s created.", id=batch.id), "success")
    return redirect(url_for("crm.settlement.payout_batch", batch_id=batch.id))


def _batch_page(
    batch_id: int, form: MarkPaidForm, status: int = 200, cancel_form: CancelBatchForm | None = None
) -> tuple[str, int]:
    batch = get_batch(db.session(), batch_id)
    if batch is None:
        return render_template("crm/message.html", message=_("There is no such payout batch.")), 404
    supplier_ids = [line.supplier_id for line in batch.lines]
    names = {s.id: s.name for s in db.session.query(Supplier).filter(Supplier.id.in_(supplier_ids))}
    return render_template(
        "crm/settlement/payout_batch.html",
        batch=batch,
        names=names,
        staff=_staff_names(batch.created_by, batch.paid_by, batch.canceled_by),
        form=form,
        cancel_form=cancel_form or CancelBatchForm(),
    ), status


@bp.get("/payouts/<int:batch_id>")
@requires("settlement.view")
def payout_batch(batch_id: int) -> tuple[str, int]:
    return _batch_page(batch_id, MarkPaidForm())


@bp.post("/payouts/<int:batch_id>/paid")
@requires("payouts.edit")
def payout_paid(batch_id: int) -> Response | tuple[str, int]:
    form = MarkPaidForm()
    if not form.validate_on_submit():
        return _batch_page(batch_id, form, 400)
    batch = get_batch(db.session(), batch_id)
    if batch is None:
        return render_template("crm/message.html", message=_("There is no such payout batch.")), 404
    staff = require_staff()
    try:
        mark_paid(db.session(), batch, form.bank_reference.data or "", staff.id)
    except PayoutRefused as refused:
        db.session.rollback()
        flash(str(_REFUSALS[refused.reason]), "error")
        return redirect(url_for("crm.settlement.payout_batch", batch_id=batch_id))
    detail = f"№{batch.id}: {from_minor(batch.total)} ₽, {batch.bank_reference}"
    record(db.session(), staff, AuditAction.PAYOUT_BATCH_PAID, "payout_batch", batch.id, request.remote_addr, detail)
    db.session.commit()
    flash(_("Payout batch №%(id)s is marked paid.", id=batch.id), "success")
    return redirect(url_for("crm.settlement.payout_batch", batch_id=batch.id))


@bp.post("/payouts/<int:batch_id>/cancel")
@requires("payouts.edit")
def payout_cancel(batch_id: int) -> Response | tuple[str, int]:
    """Cancel an open batch with a reason: its payables are due again. A paid (or cancelled) one changes nothing."""
    batch = get_batch(db.session(), batch_id)
    if batch is None:
        return render_template("crm/message.html", message=_("There is no such payout batch.")), 404
    form = CancelBatchForm()
    if not form.validate_on_submit():
        return _batch_page(batch_id, MarkPaidForm(formdata=None), 400, cancel_form=form)
    staff = require_staff()
    try:
        cancel_batch(db.session(), batch, form.reason.data or "", staff.id)
    except PayoutRefused as refused:
        db.session.rollback()
        flash(str(_REFUSALS[refused.reason]), "error")
        return _batch_page(batch_id, MarkPaidForm(formdata=None), 409 if refused.reason != "no_reason" else 400)
    detail = f"№{batch.id}: {from_minor(batch.total)} ₽; {batch.cancel_reason}"
    record(db.session(), staff, AuditAction.PAYOUT_BATCH_CANCEL, "payout_batch", batch.id, request.remote_addr, detail)
    db.session.commit()
    flash(_("Payout batch №%(id)s is cancelled: its amounts are due again.", id=batch.id), "success")
    return redirect(url_for("crm.settlement.payout_batch", batch_id=batch.id))

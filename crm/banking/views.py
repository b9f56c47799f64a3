"""Bank statements: upload (size-limited; a file with any bad line applies nothing and lists the lines), the
import's summary, the review queue and one payment's page where staff match it to an order or mark it «не наш
платёж». Each POST commits once with its audit entry, then announces the orders paid (``order_paid``)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.banking import bp
from crm.banking.forms import MatchForm, NotOursForm, StatementUploadForm
from crm.permissions import requires
from storefront.banking.matching import announce_paid, payments_of
from storefront.banking.models import BankDocument, DocumentState
from storefront.banking.parser import StatementRejected
from storefront.banking.services import (
    ImportSummary,
    ReviewError,
    import_statement,
    mark_not_ours,
    match_by_hand,
    recent_imports,
    review_queue,
)
from storefront.banking.texts import reason_label, rejection_messages, state_label
from storefront.extensions import db
from storefront.order.models import Order

#: The upload's endpoint: its body is bounded before anything reads it (``bound_statement_upload``).
UPLOAD_ENDPOINT = "crm.banking.statement_import"


def _limit_mb() -> str:
    return f"{current_app.config['BANK_STATEMENT_MAX_BYTES'] / 1_000_000:g}"


def _too_large() -> Response:
    message = _(
        "The file is larger than %(size)s MB: a bank statement is far smaller. Check that it is the statement "
        "exported for 1C, or export a shorter period.",
        size=_limit_mb(),
    )
    return Response(render_template("crm/message.html", message=message), 413)


def bound_statement_upload() -> None:
    """The statement upload may be as large as ``BANK_STATEMENT_MAX_BYTES`` (plus the form), no larger: refused
    with our own words before the CSRF check reads the body. Runs first of the app's ``before_request`` hooks."""
    if request.endpoint != UPLOAD_ENDPOINT:
        return
    limit = int(current_app.config["BANK_STATEMENT_MAX_BYTES"]) + 64_000
    if request.content_length is not None and request.content_length > limit:
        abort(_too_large())
    request.max_content_length = limit


def _page(form: StatementUploadForm, status: int = 200, **extra: object) -> tuple[str, int]:
    session = db.session()
    return render_template(
        "crm/banking/statements.html",
        form=form,
        queue=review_queue(session),
        imports=recent_imports(session),
        reason_label=reason_label,
        problems=extra.pop("problems", []),
        summary=extra.pop("summary", None),
        **extra,
    ), status


@bp.get("/")
@requires("bank_statements.view")
def statements() -> tuple[str, int]:
    return _page(StatementUploadForm(formdata=None))


@bp.post("/import")
@requires("bank_statements.edit")
def statement_import() -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    try:
        form = StatementUploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        return _too_large()
    if not valid:
        return _page(form, 400)
    data = form.file.data.read(int(current_app.config["BANK_STATEMENT_MAX_BYTES"]) + 1)
    if len(data) > int(current_app.config["BANK_STATEMENT_MAX_BYTES"]):
        return _too_large()
    filename = (getattr(form.file.data, "filename", "") or "")[:255]
    if not current_app.config["SELLER_SETTLEMENT_ACCOUNT"]:
        return _page(form, 400, problems=[_("Our settlement account is not configured (SELLER_SETTLEMENT_ACCOUNT).")])
    try:
        summary: ImportSummary = import_statement(
            session,
            data,
            our_account=current_app.config["SELLER_SETTLEMENT_ACCOUNT"],
            filename=filename,
            staff_id=staff.id,
        )
    except StatementRejected as rejected:
        session.rollback()
        return _page(form, 400, problems=rejection_messages(rejected))
    detail = f"{filename}: {summary.documents} / +{summary.matched} / ?{len(summary.review)} / ={summary.already}"
    record(
        session,
        staff,
        AuditAction.BANK_STATEMENT_IMPORT,
        "bank_statement",
        summary.import_id,
        request.remote_addr,
        detail,
    )
    session.commit()
    announce_paid(summary.paid)
    return _page(StatementUploadForm(formdata=None), 200, summary=summary)


def _document_or_404(document_id: int) -> BankDocument:
    document = db.session.get(BankDocument, document_id)
    if document is None:
        abort(Response(render_template("crm/message.html", message=_("There is no such bank payment.")), 404))
    return document


def _document_page(
    document: BankDocument, match_form: MatchForm, not_ours_form: NotOursForm, status: int = 200, error: str = ""
) -> tuple[str, int]:
    order = db.session.get(Order, document.order_id) if document.order_id else None
    made = payments_of(db.session(), document)
    paid_orders = [(db.session.get(Order, payment.order_id), payment.amount) for payment in made]
    return render_template(
        "crm/banking/document.html",
        document=document,
        order=order,
        paid_orders=paid_orders,
        match_form=match_form,
        not_ours_form=not_ours_form,
        reason=reason_label(document.reason),
        state=state_label(document.state),
        error=error,
        in_review=document.state == DocumentState.REVIEW,
    ), status


@bp.get("/payments/<int:document_id>")
@requires("bank_statements.view")
def document(document_id: int) -> tuple[str, int]:
    found = _document_or_404(document_id)
    match_form = MatchForm(formdata=None)
    if found.order_id and not match_form.order_number.data:
        order = db.session.get(Order, found.order_id)
        match_form.order_number.data = order.number if order is not None else ""
    elif found.found_numbers:
        match_form.order_number.data = found.found_numbers[0]
    return _document_page(found, match_form, NotOursForm(formdata=None))


def _review_error(error: ReviewError) -> str:
    values = error.values
    return {
        ReviewError.ALREADY_RESOLVED: _("This payment has already been dealt with (see its state below)."),
        ReviewError.NO_SUCH_ORDER: _("There is no order %(number)s.", number=values.get("number", "")),
        ReviewError.NOT_PAYABLE: _(
            "Order %(number)s is already paid or canceled: it cannot take this payment.",
            number=values.get("number", ""),
        ),
        ReviewError.SUM_DIFFERS: _(
            "The payment (%(amount)s) is not the sum of the orders %(numbers)s (%(total)s): a payment is split over "
            "several orders only when it pays each of them in full.",
            amount=_rub(values.get("amount")),
            numbers=values.get("numbers", ""),
            total=_rub(values.get("total")),
        ),
        ReviewError.AMOUNT_DIFFERS: _(
            "The payment (%(amount)s) differs from the order total (%(total)s). Tick the box to count it anyway.",
            amount=_rub(values.get("amount")),
            total=_rub(values.get("total")),
        ),
    }.get(error.code, error.code)


def _rub(value: object) -> str:
    rub = current_app.jinja_env.filters["rub"]
    return str(rub(value))


@bp.post("/payments/<int:document_id>/match")
@requires("bank_statements.edit")
def document_match(document_id: int) -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    found = _document_or_404(document_id)
    form = MatchForm()
    if not form.validate_on_submit():
        return _document_page(found, form, NotOursForm(formdata=None), 400)
    try:
        paid = match_by_hand(
            session,
            found.id,
            form.order_number.data or "",
            staff_id=staff.id,
            accept_difference=bool(form.accept_difference.data),
            note=(form.note.data or "").strip(),
        )
    except ReviewError as error:
        session.rollback()
        found = _document_or_404(document_id)
        status = 409 if error.code == ReviewError.ALREADY_RESOLVED else 400
        return _document_page(found, form, NotOursForm(formdata=None), status, _review_error(error))
    numbers = ", ".join(item.number for item in paid)
    record(
        session,
        staff,
        AuditAction.BANK_PAYMENT_MATCH,
        "bank_payment",
        found.id,
        request.remote_addr,
        f"{found.reference}, {found.amount} → {numbers}"[:500],
    )
    session.commit()
    announce_paid(paid)
    flash(
        ngettext(
            "The payment is matched: order %(number)s is paid.",
            "The payment is matched: orders %(number)s are paid.",
            len(paid),
            number=numbers,
        ),
        "success",
    )
    return redirect(url_for(".statements"))


@bp.post("/payments/<int:document_id>/not-ours")
@requires("bank_statements.edit")
def document_not_ours(document_id: int) -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    found = _document_or_404(document_id)
    form = NotOursForm()
    if not form.validate_on_submit():
        return _document_page(found, MatchForm(formdata=None), form, 400)
    note = (form.note.data or "").strip()
    try:
        mark_not_ours(session, found.id, staff_id=staff.id, note=note)
    except ReviewError as error:
        session.rollback()
        found = _document_or_404(document_id)
        return _document_page(found, MatchForm(formdata=None), form, 409, _review_error(error))
    record(
        session,
        staff,
        AuditAction.BANK_PAYMENT_NOT_OURS,
        "bank_payment",
        found.id,
        request.remote_addr,
        f"{found.reference}, {found.amount}: {note}"[:500],
    )
    session.commit()
    flash(_("The payment is marked not ours."), "success")
    return redirect(url_for(".statements"))

"""Quote pages: the list (with the approvals waiting), the prepared reorder, the editor, send, approve, withdraw,
PDF. A manager acts on their own buyers only (``sees_buyer_in_full``); every send, approval and withdrawal is
audited in the transaction that makes it."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.buyers.models import BuyerProfile
from crm.buyers.queries import manager_of
from crm.permissions import has_permission, requires, sees_buyer_in_full
from crm.quotes import bp
from crm.quotes.basket import usual_basket
from crm.quotes.forms import ApprovalForm, NewQuoteForm, QuoteTermsForm, VersionForm, read_lines
from crm.quotes.services import prepare_reorder
from crm.staff.models import Role
from storefront.account.models import Buyer
from storefront.db import utcnow
from storefront.errors import NotFound
from storefront.extensions import db
from storefront.fx.services import current_pricing
from storefront.moscow import moscow_day_end, to_moscow
from storefront.quotes.models import Approval, Quote, QuoteStatus
from storefront.quotes.services import (
    QuoteRefused,
    decide_approval,
    lines_below_floor,
    new_quote,
    order_of,
    save_draft,
    send_quote,
    withdraw_quote,
)
from storefront.quotes.web import current_policy, quote_pdf, refusal_message
from storefront.seller import seller_of

LIST_LIMIT = 100


def _buyer_in_scope(buyer_id: int) -> Buyer:
    """404 for a missing buyer; 403 when the staff member may not act on this buyer (assignment scope)."""
    buyer = db.session.get(Buyer, buyer_id)
    if buyer is None:
        raise NotFound()
    staff = require_staff()
    if not sees_buyer_in_full(staff.role, staff.id, manager_of(db.session(), buyer_id)):
        abort(403)
    return buyer


def _quote_in_scope(quote_id: int) -> Quote:
    quote = db.session.get(Quote, quote_id)
    if quote is None:
        raise NotFound()
    _buyer_in_scope(quote.buyer_id)
    return quote


def _default_valid_until() -> object:
    return to_moscow(utcnow()).date() + timedelta(days=current_policy().valid_days)


@bp.get("/quotes")
@requires("quotes.view")
def quote_list() -> str:
    """Quotes awaiting an admin's approval, then the latest quotes (a manager: of their own buyers)."""
    staff = require_staff()
    query = select(Quote).options(selectinload(Quote.lines), selectinload(Quote.buyer))
    if staff.role != Role.ADMIN:
        mine = select(BuyerProfile.buyer_id).where(BuyerProfile.manager_id == staff.id)
        query = query.where(Quote.buyer_id.in_(mine))
    pending = list(
        db.session.scalars(
            query.where(Quote.status == QuoteStatus.SENT, Quote.approval == Approval.PENDING).order_by(Quote.id)
        )
    )
    latest = list(db.session.scalars(query.order_by(Quote.updated_at.desc(), Quote.id.desc()).limit(LIST_LIMIT)))
    return render_template("crm/quotes/list.html", pending=pending, latest=latest)


@bp.get("/buyers/<int:buyer_id>/quotes/prepare")
@requires("quotes.edit")
def prepare_page(buyer_id: int) -> str:
    """«Подготовить повторный заказ»: the usual basket, and the button that drafts it (a link the lists can use)."""
    buyer = _buyer_in_scope(buyer_id)
    return render_template(
        "crm/quotes/prepare.html", buyer=buyer, basket=usual_basket(db.session(), buyer_id), form=NewQuoteForm()
    )


@bp.post("/buyers/<int:buyer_id>/quotes")
@requires("quotes.edit")
def quote_create(buyer_id: int) -> Response | tuple[str, int]:
    """A new draft: empty, or the usual basket at today's prices (the prepared reorder)."""
    buyer = _buyer_in_scope(buyer_id)
    form = NewQuoteForm()
    if not form.validate_on_submit():
        return render_template("crm/message.html", message=_("Choose how to start the quote.")), 400
    staff = require_staff()
    now = utcnow()
    valid_until = moscow_day_end(_default_valid_until())  # type: ignore[arg-type]
    if form.source.data == "usual":
        prepared = prepare_reorder(
            db.session(), buyer, staff.id, current_pricing(db.session()), valid_until=valid_until, now=now
        )
        quote = prepared.quote
        if prepared.skipped:
            flash(
                _(
                    "Not offered today (unavailable or without a price): %(titles)s.",
                    titles=", ".join(prepared.skipped),
                ),
                "warning",
            )
        if not quote.lines:
            flash(_("The buyer has no paid orders to repeat yet: add products by hand."), "info")
    else:
        quote = new_quote(db.session(), buyer, staff.id, valid_until)
    db.session.commit()
    return redirect(url_for("crm.quotes.quote_detail", quote_id=quote.id), 303)


def _render(quote: Quote, terms: QuoteTermsForm | None = None, errors: list[str] | None = None, status: int = 200):
    staff = require_staff()
    policy = current_policy()
    if terms is None:
        terms = QuoteTermsForm(formdata=None, version=quote.version, note=quote.note)
        terms.valid_until.data = to_moscow(quote.valid_until).date()
    return render_template(
        "crm/quotes/quote.html",
        quote=quote,
        terms=terms,
        errors=errors or [],
        below=[line.id for line in lines_below_floor(quote, policy)],
        floor=policy.floor,
        floor_percent=policy.floor_percent,
        action_form=VersionForm(formdata=None, version=quote.version),
        can_approve=has_permission(staff.role, "quotes.approve"),
        order=order_of(db.session(), quote),
    ), status


@bp.get("/quotes/<int:quote_id>")
@requires("quotes.view")
def quote_detail(quote_id: int) -> tuple[str, int]:
    return _render(_quote_in_scope(quote_id))


@bp.post("/quotes/<int:quote_id>")
@requires("quotes.edit")
def quote_save(quote_id: int) -> Response | tuple[str, int]:
    """Save the draft: lines (kept, removed, one added by id or SKU), negotiated prices, validity, note."""
    quote = _quote_in_scope(quote_id)
    terms = QuoteTermsForm()
    if not terms.validate_on_submit():
        return _render(quote, terms, status=400)
    read = read_lines(db.session(), request.form)
    if read.errors:
        return _render(quote, terms, read.errors, status=400)
    try:
        save_draft(
            db.session(),
            quote,
            read.lines,
            current_pricing(db.session()),
            valid_until=moscow_day_end(terms.valid_until.data),
            note=(terms.note.data or "").strip(),
            now=utcnow(),
            version=terms.version.data,
        )
    except QuoteRefused as refused:
        db.session.rollback()
        return _render(db.session.get(Quote, quote_id) or quote, terms, [refusal_message(refused)], status=409)
    db.session.commit()
    flash(_("Quote saved."), "success")
    return redirect(url_for("crm.quotes.quote_detail", quote_id=quote.id), 303)


@bp.post("/quotes/<int:quote_id>/send")
@requires("quotes.edit")
def quote_send(quote_id: int) -> Response | tuple[str, int]:
    """Send to the buyer, or, with a price below the floor, to an admin for approval first."""
    quote = _quote_in_scope(quote_id)
    form = VersionForm()
    if not form.validate_on_submit():
        return _render(quote, status=400)
    policy = current_policy()
    below = lines_below_floor(quote, policy)
    try:
        send_quote(db.session(), quote, policy, utcnow(), version=form.version.data)
    except QuoteRefused as refused:
        db.session.rollback()
        return _render(db.session.get(Quote, quote_id) or quote, errors=[refusal_message(refused)], status=409)
    detail = (
        _("below the floor on %(lines)s: awaiting approval", lines=", ".join(line.sku for line in below))
        if below
        else _("sent to %(email)s, %(amount)s", email=quote.buyer.email, amount=str(quote.total))
    )
    record(db.session(), require_staff(), AuditAction.QUOTE_SEND, "quote", quote.id, request.remote_addr, detail)
    db.session.commit()
    if below:
        flash(
            _("A price is below the floor: the quote waits for an admin's approval before the buyer sees it."), "info"
        )
    else:
        flash(_("Quote sent to the buyer."), "success")
    return redirect(url_for("crm.quotes.quote_detail", quote_id=quote.id), 303)


@bp.post("/quotes/<int:quote_id>/approval")
@requires("quotes.approve")
def quote_approval(quote_id: int) -> Response | tuple[str, int]:
    """An admin approves a quote below the floor (it goes to the buyer) or sends it back to draft."""
    quote = _quote_in_scope(quote_id)
    form = ApprovalForm()
    if not form.validate_on_submit():
        return _render(quote, status=400)
    staff = require_staff()
    approve = form.decision.data == "approve"
    try:
        decide_approval(db.session(), quote, staff.id, approve=approve, now=utcnow(), version=form.version.data)
    except QuoteRefused as refused:
        db.session.rollback()
        return _render(db.session.get(Quote, quote_id) or quote, errors=[refusal_message(refused)], status=409)
    action = AuditAction.QUOTE_APPROVE if approve else AuditAction.QUOTE_REJECT
    detail = ", ".join(f"{line.sku}: {line.unit_price} / {line.list_price}" for line in quote.lines)
    record(db.session(), staff, action, "quote", quote.id, request.remote_addr, detail)
    db.session.commit()
    flash(_("Approved: the quote is sent to the buyer.") if approve else _("Sent back to draft."), "success")
    return redirect(url_for("crm.quotes.quote_detail", quote_id=quote.id), 303)


@bp.post("/quotes/<int:quote_id>/withdraw")
@requires("quotes.edit")
def quote_withdraw(quote_id: int) -> Response | tuple[str, int]:
    quote = _quote_in_scope(quote_id)
    form = VersionForm()
    if not form.validate_on_submit():
        return _render(quote, status=400)
    try:
        withdraw_quote(db.session(), quote, utcnow(), version=form.version.data)
    except QuoteRefused as refused:
        db.session.rollback()
        return _render(db.session.get(Quote, quote_id) or quote, errors=[refusal_message(refused)], status=409)
    record(db.session(), require_staff(), AuditAction.QUOTE_WITHDRAW, "quote", quote.id, request.remote_addr)
    db.session.commit()
    flash(_("Quote withdrawn."), "success")
    return redirect(url_for("crm.quotes.quote_detail", quote_id=quote.id), 303)


@bp.get("/quotes/<int:quote_id>.pdf")
@requires("quotes.view")
def quote_pdf_view(quote_id: int) -> Response:
    quote = _quote_in_scope(quote_id)
    response = current_app.response_class(quote_pdf(quote, seller_of(current_app)), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="quote-{quote.id}.pdf"'
    return response

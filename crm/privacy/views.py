"""A buyer's data from the card (export, erasure; admins, audited) and the legal pages' editor."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.permissions import requires
from crm.privacy import bp
from crm.privacy.forms import DocumentForm, ErasureForm
from storefront.account.models import Buyer
from storefront.errors import MessageError, NotFound
from storefront.extensions import db
from storefront.legal.models import DocumentKind
from storefront.legal.services import DEFAULT_TITLES, current_document, default_text, publish_document, versions
from storefront.privacy.erasure import ErasureRefused, erase_buyer
from storefront.privacy.models import RequestKind
from storefront.privacy.parts import parts_of
from storefront.privacy.services import record_request
from storefront.privacy.views import export_document, json_download
from storefront.seller import seller_of


def _buyer(buyer_id: int) -> Buyer:
    buyer = db.session.get(Buyer, buyer_id)
    if buyer is None:
        raise NotFound(f"buyer {buyer_id}")
    return buyer


@bp.get("/buyers/<int:buyer_id>/data.json")
@requires("buyers.privacy")
def buyer_data_export(buyer_id: int) -> Response:
    """Everything we hold about the buyer, as the buyer would download it; audited and logged."""
    _buyer(buyer_id)
    staff = require_staff()
    document = export_document(buyer_id)
    record(db.session(), staff, AuditAction.BUYER_DATA_EXPORT, "buyer", buyer_id, request.remote_addr)
    record_request(db.session(), buyer_id, RequestKind.EXPORT, staff_id=staff.id)
    db.session.commit()
    return json_download(document, f"mostik-buyer-{buyer_id}.json")


@bp.post("/buyers/<int:buyer_id>/erase")
@requires("buyers.privacy")
def buyer_erase(buyer_id: int) -> Response | tuple[str, int]:
    """Erase the buyer's personal data with a reason; audited. A repeat changes nothing."""
    _buyer(buyer_id)
    form = ErasureForm()
    if not form.validate_on_submit():
        errors = "; ".join(str(error) for field in (form.reason, form.confirm) for error in field.errors)
        return render_template("crm/message.html", message=errors or _("The form has expired.")), 400
    staff = require_staff()
    try:
        erased = erase_buyer(db.session(), buyer_id, parts_of(current_app))
    except ErasureRefused as refusal:
        db.session.rollback()
        return render_template("crm/message.html", message=str(refusal)), 409
    if erased:
        reason = form.reason.data or ""
        record(db.session(), staff, AuditAction.BUYER_ERASE, "buyer", buyer_id, request.remote_addr, reason)
        record_request(db.session(), buyer_id, RequestKind.ERASURE, staff_id=staff.id, reason=reason)
        db.session.commit()
        flash(_("The buyer's personal data are erased."), "success")
    else:
        flash(_("This buyer's data were already erased."), "info")
    return redirect(url_for("crm.buyers.buyer_detail", buyer_id=buyer_id), 303)


def _kind(document: str) -> DocumentKind:
    try:
        return DocumentKind(document)
    except ValueError:
        raise NotFound(document) from None


@bp.get("/legal/")
@requires("legal.edit")
def legal_list() -> str:
    documents = [(kind, current_document(db.session(), kind)) for kind in DocumentKind]
    return render_template("crm/legal/list.html", documents=documents)


def _render_document(kind: DocumentKind, form: DocumentForm, status: int = 200) -> tuple[str, int]:
    return (
        render_template("crm/legal/edit.html", kind=kind, form=form, versions=versions(db.session(), kind)),
        status,
    )


@bp.get("/legal/<document>")
@requires("legal.edit")
def legal_edit(document: str) -> tuple[str, int]:
    """The current text to edit, or the built-in one before the first publish."""
    kind = _kind(document)
    current = current_document(db.session(), kind)
    if current is not None:
        data = {"title": current.title, "body": current.body}
    else:
        data = {"title": DEFAULT_TITLES[kind], "body": default_text(kind, seller_of(current_app))}
    return _render_document(kind, DocumentForm(formdata=None, data=data))


@bp.post("/legal/<document>")
@requires("legal.edit")
def legal_publish(document: str) -> Response | tuple[str, int]:
    """Publish the form's text as the next version; audited."""
    kind = _kind(document)
    form = DocumentForm()
    if not form.validate_on_submit():
        return _render_document(kind, form, 400)
    staff = require_staff()
    try:
        published = publish_document(db.session(), kind, form.title.data or "", form.body.data or "", staff.email)
    except MessageError as refusal:
        db.session.rollback()
        form.body.errors = [str(refusal)]
        return _render_document(kind, form, 400)
    record(
        db.session(),
        staff,
        AuditAction.LEGAL_PUBLISH,
        "legal",
        published.id,
        request.remote_addr,
        _("%(title)s, version %(version)s", title=published.title, version=published.version),
    )
    db.session.commit()
    flash(_("Version %(version)s is published.", version=published.version), "success")
    return redirect(url_for("crm.privacy.legal_edit", document=kind.value), 303)

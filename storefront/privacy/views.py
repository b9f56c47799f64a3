"""«Мои данные» in the account: download everything we hold, or erase it. Both act on the signed-in buyer
only (no id in any URL), and both are logged (``privacy_requests``)."""

from __future__ import annotations

import json

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from storefront.account.services import password_matches
from storefront.extensions import db, limiter
from storefront.privacy import bp
from storefront.privacy.erasure import ErasureRefused, erase_buyer, open_orders
from storefront.privacy.export import build_export
from storefront.privacy.forms import ErasureForm
from storefront.privacy.models import RequestKind
from storefront.privacy.parts import parts_of
from storefront.privacy.services import operator_block, record_request
from storefront.seller import seller_of


def json_download(document: dict[str, object], filename: str) -> Response:
    """A JSON attachment (UTF-8, Cyrillic as it is), never cached."""
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def export_document(buyer_id: int) -> dict[str, object]:
    return build_export(db.session(), buyer_id, operator_block(seller_of(current_app)), parts_of(current_app))


def _render(form: ErasureForm, status: int = 200) -> tuple[str, int]:
    return (
        render_template("privacy/data.html", form=form, open_orders=open_orders(db.session(), current_user.id)),
        status,
    )


@bp.get("/")
@login_required
def data_page() -> tuple[str, int]:
    return _render(ErasureForm(formdata=None))


@bp.get("/export.json")
@login_required
def export() -> Response:
    document = export_document(current_user.id)
    record_request(db.session(), current_user.id, RequestKind.EXPORT)
    db.session.commit()
    return json_download(document, f"mostik-data-{current_user.id}.json")


@bp.post("/erase")
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"])
def erase() -> Response | tuple[str, int]:
    form = ErasureForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    if not password_matches(current_user, form.password.data or ""):
        form.password.errors = [_("Wrong password.")]
        return _render(form, 400)
    buyer_id = current_user.id
    try:
        erase_buyer(db.session(), buyer_id, parts_of(current_app))
    except ErasureRefused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return _render(form, 409)
    record_request(db.session(), buyer_id, RequestKind.ERASURE)
    db.session.commit()
    logout_user()
    flash(_("Your account is closed and your personal data are erased. Thank you for being with us."), "success")
    return redirect(url_for("catalog.home"), 303)

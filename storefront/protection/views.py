"""The buyer's side of a dispute: open one (reason, description, lines and quantities, photos), read and write in
its thread, see its photos. The order page's protection block is ``templates/protection/_order.html``."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from storefront.db import utcnow
from storefront.extensions import db
from storefront.order.models import Order
from storefront.order.web import viewable_order
from storefront.protection import bp
from storefront.protection.forms import DisputeForm, MessageForm
from storefront.protection.models import Dispute
from storefront.protection.policy import order_protection
from storefront.protection.services import (
    DisputeDraft,
    DisputeRefused,
    add_message,
    expect_dispute_mail,
    get_dispute,
    open_dispute,
)
from storefront.protection.web import (
    checked_photos,
    commit_with_photos,
    current_policy,
    find_photo,
    reason_choices,
    refusal_message,
    send_photo,
    store_photos,
    upload_limit,
)

#: The storefront's routes that take photos (the CRM adds its own to ``app.extensions["photo_upload_endpoints"]``).
UPLOAD_ENDPOINTS = frozenset({"protection.open_dispute_view", "protection.dispute_message"})


def bound_uploads() -> None:
    """A photo form's request may be as large as ten photos (``upload_limit``), no larger: a bigger body is a 413
    before any of it is parsed. Runs first of all ``before_request`` hooks (the CSRF check reads the form)."""
    if request.endpoint in current_app.extensions.get("photo_upload_endpoints", ()):
        request.max_content_length = upload_limit(current_policy())


def _buyers_order(number: str) -> tuple[Order, str | None]:
    """The order, if this visitor is its buyer (a guest's link works for a guest's order only, as for
    «Подтвердить получение»)."""
    order, token = viewable_order(number)
    if order.buyer_id is not None and not (current_user.is_authenticated and current_user.id == order.buyer_id):
        abort(404)
    return order, token


def _line_quantities(order: Order) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for line in order.lines:
        raw = request.form.get(f"line-{line.id}", "").strip()
        if raw:
            quantities[line.id] = int(raw) if raw.isdigit() and len(raw) < 7 else -1
    return quantities


@bp.route("/orders/<number>/dispute", methods=["GET", "POST"])
def open_dispute_view(number: str) -> str | Response | tuple[str, int]:
    order, token = _buyers_order(number)
    policy = current_policy()
    protection = order_protection(db.session(), order, policy, utcnow())
    form = DisputeForm()
    form.reason.choices = reason_choices()
    if protection.may_open is None:
        flash(_("A dispute cannot be opened on this order now."), "error")
        return redirect(url_for("order.order_detail", number=number, t=token))
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate_on_submit():
            photos, errors = checked_photos(form.photos.data or [], policy)
            if errors:
                form.photos.errors = errors
            else:
                draft = DisputeDraft(form.reason.data, form.description.data or "", _line_quantities(order), photos)
                try:
                    dispute = open_dispute(db.session(), order, draft, policy)
                except DisputeRefused as error:
                    db.session.rollback()
                    flash(refusal_message(error), "error")
                    status = 409 if error.code in ("already_open", "window_closed") else 400
                else:
                    expect_dispute_mail(db.session(), dispute.id, "opened")
                    commit_with_photos(store_photos(photos))
                    days = _answer_days(dispute)
                    flash(
                        ngettext(
                            "The dispute is open. We will answer within %(num)d day.",
                            "The dispute is open. We will answer within %(num)d days.",
                            days,
                        ),
                        "success",
                    )
                    return redirect(
                        url_for("protection.dispute_page", number=number, dispute_id=dispute.id, t=token), 303
                    )
    return (
        render_template("protection/open.html", order=order, token=token, form=form, protection=protection),
        status,
    )


def _answer_days(dispute: Dispute) -> int:
    return max(1, round((dispute.answer_due_at - dispute.opened_at).total_seconds() / 86400))


def _dispute_of(order: Order, dispute_id: int) -> Dispute:
    dispute = get_dispute(db.session(), dispute_id)
    if dispute is None or dispute.order_id != order.id:
        abort(404)
    return dispute


@bp.get("/orders/<number>/disputes/<int:dispute_id>")
def dispute_page(number: str, dispute_id: int) -> str:
    order, token = _buyers_order(number)
    dispute = _dispute_of(order, dispute_id)
    return render_template("protection/dispute.html", order=order, token=token, dispute=dispute, form=MessageForm())


@bp.post("/orders/<number>/disputes/<int:dispute_id>/messages")
def dispute_message(number: str, dispute_id: int) -> Response | tuple[str, int]:
    order, token = _buyers_order(number)
    dispute = _dispute_of(order, dispute_id)
    form = MessageForm()
    if form.validate_on_submit():
        photos, errors = checked_photos(form.photos.data or [], current_policy())
        if errors:
            form.photos.errors = errors
        else:
            try:
                message = add_message(
                    db.session(), dispute, form.body.data or "", photos, author_name=order.contact_name
                )
            except DisputeRefused as error:
                db.session.rollback()
                form.body.errors = [refusal_message(error)]
            else:
                expect_dispute_mail(db.session(), dispute.id, "buyer_message", message.id)
                commit_with_photos(store_photos(photos))
                flash(_("Your message is sent."), "success")
                return redirect(url_for("protection.dispute_page", number=number, dispute_id=dispute.id, t=token), 303)
    return render_template("protection/dispute.html", order=order, token=token, dispute=dispute, form=form), 400


@bp.get("/orders/<number>/disputes/<int:dispute_id>/photos/<name>")
def dispute_photo(number: str, dispute_id: int, name: str) -> Response:
    order, _token = _buyers_order(number)
    return send_photo(find_photo(_dispute_of(order, dispute_id), name, with_internal=False))

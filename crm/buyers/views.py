from __future__ import annotations

import csv
import io

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm.audit.queries import moscow_day_end
from crm.audit.services import record
from crm.auth import current_staff
from crm.buyers import bp
from crm.buyers.forms import AssignForm, BuyerFilterForm
from crm.buyers.queries import BuyerCard, BuyerFilters, buyer_card, buyer_page, export_rows
from crm.permissions import has_permission, requires
from crm.staff.models import Role, StaffUser
from crm.tiers.forms import ManualTierForm
from crm.tiers.services import AssignmentError, ManualTierError, assign_managers, set_manual_tier, tiers_in_order
from storefront.errors import NotFound
from storefront.extensions import db


def _filters(form: BuyerFilterForm) -> BuyerFilters:
    return BuyerFilters(tier_id=form.tier.data, manager_id=form.manager.data, search=form.q.data or None)


@bp.get("/")
@requires("buyers.view")
def buyer_list() -> tuple[str, int]:
    form = BuyerFilterForm(request.args)
    managers = db.session.scalars(
        select(StaffUser).where(StaffUser.role == Role.ACCOUNT_MANAGER).order_by(StaffUser.email)
    ).all()
    context = {"form": form, "tiers": tiers_in_order(db.session), "managers": managers, "assign_form": AssignForm()}
    if request.args and not form.validate():
        return render_template("crm/buyers.html", page=None, **context), 400
    page = buyer_page(db.session, _filters(form), form.page.data or 1)
    return render_template("crm/buyers.html", page=page, **context), 200


@bp.get("/export.csv")
@requires("buyers.export")
def buyer_export() -> Response:
    """The filtered list as CSV (UTF-8 with BOM, «;» for Russian Excel); every export is audited."""
    form = BuyerFilterForm(request.args)
    if not form.validate():
        message = _("Check the filters: the tier, manager and page must be numbers.")
        return Response(message, status=400, mimetype="text/plain")
    rows = export_rows(db.session, _filters(form))
    record(
        db.session,
        current_staff(),
        "buyers.export",
        "buyers",
        "",
        request.remote_addr,
        f"{len(rows) - 1} rows; filters: {request.query_string.decode('utf-8', 'replace')}",
    )
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer, delimiter=";").writerows(rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=buyers.csv"},
    )


@bp.get("/<int:buyer_id>")
@requires("buyers.view")
def buyer_detail(buyer_id: int) -> str:
    card = buyer_card(db.session, buyer_id)
    if card is None:
        raise NotFound()
    staff = current_staff()
    # An account manager sees their own buyers in full and others as a summary (no contact data).
    full = staff.role != Role.ACCOUNT_MANAGER or (card.profile is not None and card.profile.manager_id == staff.id)
    record(db.session, staff, "buyer.view", "buyer", buyer_id, request.remote_addr, "full" if full else "summary")
    tier_form = _manual_tier_form(card) if has_permission(staff.role, "tiers.override") else None
    return render_template("crm/buyer.html", card=card, full=full, tier_form=tier_form)


@bp.post("/<int:buyer_id>/tier")
@requires("tiers.override")
def buyer_manual_tier(buyer_id: int) -> Response | tuple[str, int]:
    """Set a manual tier with a reason and an expiry (the last day it holds, Moscow time)."""
    card = buyer_card(db.session, buyer_id)
    if card is None:
        raise NotFound()
    form = _manual_tier_form(card)
    if form.validate_on_submit():
        until = moscow_day_end(form.until.data)
        try:
            set_manual_tier(db.session, buyer_id, form.tier.data, form.reason.data, until)
        except ManualTierError:
            db.session.rollback()
            form.until.errors = [_("The date must be today or later.")]
        else:
            record(
                db.session,
                current_staff(),
                "tier.change",
                "buyer",
                buyer_id,
                request.remote_addr,
                f"tier {form.tier.data} until {form.until.data.isoformat()}: {form.reason.data}",
            )
            flash(_("Manual tier set."), "success")
            return redirect(url_for("crm.buyers.buyer_detail", buyer_id=buyer_id))
    return render_template("crm/buyer.html", card=card, full=True, tier_form=form), 400


def _manual_tier_form(card: BuyerCard) -> ManualTierForm:
    form = ManualTierForm()
    form.tier.choices = [(tier.id, tier.name) for tier in card.tiers]
    return form


@bp.post("/assign")
@requires("buyers.assign")
def buyer_assign() -> Response | tuple[str, int]:
    form = AssignForm()
    valid = form.validate_on_submit() and (form.manager.data == "" or (form.manager.data or "").isdigit())
    if valid:
        manager_id = int(form.manager.data) if form.manager.data else None
        try:
            count = assign_managers(db.session, form.buyer_ids.data or [], manager_id)
        except AssignmentError:
            db.session.rollback()
        else:
            ids = ",".join(str(i) for i in form.buyer_ids.data)
            detail = f"manager {manager_id or '-'}: buyers {ids}"
            record(db.session, current_staff(), "buyers.assign", "buyers", "", request.remote_addr, detail)
            flash(ngettext("%(num)s buyer assigned.", "%(num)s buyers assigned.", count), "success")
            return redirect(url_for("crm.buyers.buyer_list"))
    message = _("Tick the buyers and choose an account manager.")
    return render_template("crm/message.html", message=message), 400

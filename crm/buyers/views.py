from __future__ import annotations

from dataclasses import replace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.buyers import bp
from crm.buyers.card import back_to, manual_tier_form, render_card
from crm.buyers.forms import AssignForm, BuyerFilterForm, MessengersForm
from crm.buyers.queries import BuyerFilters, buyer_card, buyer_page, export_rows, manager_of
from crm.buyers.services import AssignmentError, assign_managers, set_messengers
from crm.csv_export import csv_download
from crm.permissions import requires, sees_buyer_in_full
from crm.staff.models import Role
from crm.staff.queries import account_managers
from crm.tiers.services import ManualTierError, set_manual_tier, tiers_in_order
from storefront.account.models import Buyer
from storefront.errors import NotFound
from storefront.extensions import db
from storefront.moscow import moscow_day_end
from storefront.shipping.regions import region_choices


def _filters(form: BuyerFilterForm) -> BuyerFilters:
    return BuyerFilters(
        tier_id=form.tier.data,
        manager_id=form.manager.data,
        search=form.q.data or None,
        region=form.region.data or None,
        spend_min=form.spend_min.data,
        spend_max=form.spend_max.data,
        inactive_days=form.inactive_days.data,
        never_ordered=bool(form.never_ordered.data),
        kind=form.kind.data or None,
        unassigned_vip=bool(form.unassigned_vip.data),
        reorder_status=form.reorder_status.data or None,
        sort=form.sort.data or "name",
        descending=form.order.data == "desc",
    )


def _list_context(form: BuyerFilterForm) -> dict[str, object]:
    return {
        "form": form,
        "tiers": tiers_in_order(db.session()),
        "managers": account_managers(db.session(), active_only=False),
        "regions": region_choices(),
        "assign_form": AssignForm(),
    }


@bp.get("/")
@requires("buyers.view")
def buyer_list() -> tuple[str, int]:
    """The list; a bad filter value is a 400 with the field's Russian message and no rows."""
    form = BuyerFilterForm(request.args)
    if request.args and not form.validate():
        return render_template("crm/buyers.html", page=None, **_list_context(form)), 400
    page = buyer_page(db.session(), _filters(form), form.page.data or 1)
    return render_template("crm/buyers.html", page=page, **_list_context(form)), 200


@bp.get("/export.csv")
@requires("buyers.export")
def buyer_export() -> Response:
    """The filtered list as CSV (UTF-8 with BOM, «;» for Russian Excel); every export is audited.

    An account manager exports only their own buyers (the contact data they may see).
    """
    form = BuyerFilterForm(request.args)
    if not form.validate():
        errors = "; ".join(f"{field.label.text}: {error}" for field in form for error in field.errors)
        message = _("Check the filters: %(errors)s", errors=errors)
        return Response(message, status=400, mimetype="text/plain")
    staff = require_staff()
    filters = _filters(form)
    if staff.role == Role.ACCOUNT_MANAGER:
        filters = replace(filters, manager_id=staff.id)
    rows = export_rows(db.session(), filters)
    record(
        db.session(),
        staff,
        AuditAction.BUYERS_EXPORT,
        "buyers",
        "",
        request.remote_addr,
        ngettext(
            "%(num)s row; filters: %(filters)s",
            "%(num)s rows; filters: %(filters)s",
            len(rows) - 1,
            filters=request.query_string.decode("utf-8", "replace") or "—",
        ),
    )
    db.session.commit()
    return csv_download(rows, "buyers.csv")


@bp.get("/<int:buyer_id>")
@requires("buyers.view")
def buyer_detail(buyer_id: int) -> tuple[str, int]:
    """The buyer card; every view is audited (full or summary)."""
    return render_card(buyer_id, audit=True)


@bp.post("/<int:buyer_id>/tier")
@requires("tiers.override")
def buyer_manual_tier(buyer_id: int) -> Response | tuple[str, int]:
    """Set a manual tier with a reason and an expiry (the last day it holds, Moscow time)."""
    card = buyer_card(db.session(), buyer_id)
    if card is None:
        raise NotFound()
    form = manual_tier_form(card)
    if form.validate_on_submit():
        until = moscow_day_end(form.until.data)
        try:
            set_manual_tier(db.session(), buyer_id, form.tier.data, form.reason.data, until)
        except ManualTierError:
            db.session.rollback()
            form.until.errors = [_("The date must be today or later.")]
        else:
            record(
                db.session(),
                require_staff(),
                AuditAction.TIER_CHANGE,
                "buyer",
                buyer_id,
                request.remote_addr,
                _(
                    "%(tier)s until %(until)s: %(reason)s",
                    tier=dict(form.tier.choices or []).get(form.tier.data, form.tier.data),
                    until=form.until.data.strftime("%d.%m.%Y"),
                    reason=form.reason.data,
                ),
            )
            db.session.commit()
            flash(_("Manual tier set."), "success")
            return redirect(url_for("crm.buyers.buyer_detail", buyer_id=buyer_id))
    return render_card(buyer_id, status=400, tier_form=form)


@bp.post("/assign")
@requires("buyers.assign")
def buyer_assign() -> Response | tuple[str, int]:
    form = AssignForm()
    valid = form.validate_on_submit() and (form.manager.data == "" or (form.manager.data or "").isdigit())
    if valid:
        manager_id = int(form.manager.data) if form.manager.data else None
        try:
            count = assign_managers(db.session(), form.buyer_ids.data or [], manager_id)
        except AssignmentError:
            db.session.rollback()
        else:
            ids = ",".join(str(i) for i in form.buyer_ids.data)
            detail = f"manager {manager_id or '-'}: buyers {ids}"
            record(db.session(), require_staff(), AuditAction.BUYERS_ASSIGN, "buyers", "", request.remote_addr, detail)
            db.session.commit()
            flash(ngettext("%(num)s buyer assigned.", "%(num)s buyers assigned.", count), "success")
            if request.form.get("back") == "card" and len(form.buyer_ids.data) == 1:
                return redirect(url_for("crm.buyers.buyer_detail", buyer_id=form.buyer_ids.data[0]))
            return redirect(back_to(url_for("crm.buyers.buyer_list"), form.buyer_ids.data[0]))
    message = _("Tick the buyers and choose an account manager.")
    return render_template("crm/message.html", message=message), 400


@bp.post("/<int:buyer_id>/messengers")
@requires("buyers.contacts")
def buyer_messengers(buyer_id: int) -> Response | tuple[str, int]:
    """The buyer's Telegram and WhatsApp, typed by their manager (or an admin); audited when they change."""
    buyer = db.session.get(Buyer, buyer_id)
    if buyer is None:
        raise NotFound()
    staff = require_staff()
    if not sees_buyer_in_full(staff.role, staff.id, manager_of(db.session(), buyer_id)):
        abort(403)
    form = MessengersForm()
    if not form.validate_on_submit():
        return render_card(buyer_id, status=400, messengers_form=form)
    if set_messengers(db.session(), buyer, form.telegram.data, form.whatsapp.data):
        detail = f"telegram {buyer.telegram or '-'}, whatsapp {buyer.whatsapp or '-'}"
        record(db.session(), staff, AuditAction.BUYER_MESSENGERS, "buyer", buyer_id, request.remote_addr, detail)
        db.session.commit()
        flash(_("Messengers saved."), "success")
    else:
        db.session.rollback()
    return redirect(url_for("crm.buyers.buyer_detail", buyer_id=buyer_id) + "#contact")

"""Promo code pages: list, create, deactivate."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.permissions import requires
from crm.promo import bp
from crm.promo.forms import DeactivateForm, PromoForm
from crm.promo.services import PromoData, PromoError, create_promo, deactivate_promo
from crm.tiers.services import tiers_in_order
from storefront.extensions import db
from storefront.moscow import moscow_to_utc
from storefront.promo.models import PromoCode


@bp.get("/")
@requires("promo.view")
def promo_list() -> str:
    # Unique per-recipient codes of campaigns are many: the list shows the codes made by hand.
    codes = db.session.scalars(
        select(PromoCode).where(PromoCode.campaign_id.is_(None)).order_by(PromoCode.created_at.desc()).limit(200)
    ).all()
    tier_names = {tier.code: tier.name for tier in tiers_in_order(db.session())}
    return render_template("crm/promo_list.html", codes=codes, confirm_form=DeactivateForm(), tier_names=tier_names)


@bp.route("/new", methods=["GET", "POST"])
@requires("promo.edit")
def promo_new() -> Response | tuple[str, int]:
    form = PromoForm()
    form.tiers.choices = [SelectChoice(tier.code, tier.name) for tier in tiers_in_order(db.session())]
    error = None
    if form.validate_on_submit():
        data = PromoData(
            code=form.code.data,
            kind=form.kind.data,
            percent=form.percent.data,
            fixed_amount=form.fixed_amount.data,
            min_order_amount=form.min_order_amount.data,
            starts_at=moscow_to_utc(form.starts_at.data) if form.starts_at.data else None,
            ends_at=moscow_to_utc(form.ends_at.data) if form.ends_at.data else None,
            usage_limit=form.usage_limit.data,
            per_buyer_limit=form.per_buyer_limit.data,
            tier_codes=list(form.tiers.data or []),
        )
        try:
            promo = create_promo(db.session(), data)
        except PromoError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            staff, ip_address = require_staff(), request.remote_addr
            record(db.session(), staff, AuditAction.PROMO_CREATE, "promo_code", promo.id, ip_address, promo.code)
            db.session.commit()
            flash(_("Promo code %(code)s created.", code=promo.code), "success")
            return redirect(url_for("crm.promo.promo_list"))
    status = 200 if request.method == "GET" else 400
    return render_template("crm/promo_form.html", form=form, error=error), status


@bp.post("/<int:promo_id>/deactivate")
@requires("promo.edit")
def promo_deactivate(promo_id: int) -> Response | tuple[str, int]:
    form = DeactivateForm()
    if not form.validate_on_submit():
        return render_template("crm/message.html", message=_("Tick the box to confirm.")), 400
    if db.session.get(PromoCode, promo_id) is None:
        return render_template("crm/message.html", message=_("There is no such promo code.")), 404
    if deactivate_promo(db.session(), promo_id):
        record(db.session(), require_staff(), AuditAction.PROMO_DEACTIVATE, "promo_code", promo_id, request.remote_addr)
    db.session.commit()
    flash(_("The promo code is switched off."), "success")
    return redirect(url_for("crm.promo.promo_list"))

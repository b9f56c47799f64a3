from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.permissions import requires
from crm.tiers import bp
from crm.tiers.forms import TierForm
from crm.tiers.services import TierCodeTaken, TierData, save_tier, tiers_in_order
from storefront.account.models import Tier
from storefront.errors import NotFound
from storefront.extensions import db
from storefront.i18n import format_percent, format_rub_whole


@bp.get("/")
@requires("tiers.view")
def tier_list() -> str:
    return render_template("crm/tiers.html", tiers=tiers_in_order(db.session()))


@bp.route("/new", methods=["GET", "POST"], defaults={"tier_id": None})
@bp.route("/<int:tier_id>/edit", methods=["GET", "POST"])
@requires("tiers.edit")
def tier_edit(tier_id: int | None) -> Response | tuple[str, int]:
    tier = None
    if tier_id is not None:
        tier = db.session.get(Tier, tier_id)
        if tier is None:
            raise NotFound()
    if tier is not None and request.method == "GET":
        form = TierForm(obj=tier, data={"discount_percent": tier.discount_percent})
    else:
        form = TierForm()
    if form.validate_on_submit():
        data = TierData(
            code=form.code.data,
            name=form.name.data.strip(),
            threshold_amount=form.threshold_amount.data,
            discount_percent=form.discount_percent.data,
            free_shipping=bool(form.free_shipping.data),
            dedicated_manager=bool(form.dedicated_manager.data),
            perks=form.perks.data or "",
        )
        try:
            saved = save_tier(db.session(), tier, data)
        except TierCodeTaken:
            db.session.rollback()
            form.code.errors = [_("Another tier already has this code.")]
        else:
            record(
                db.session(),
                require_staff(),
                AuditAction.TIER_POLICY_EDIT,
                "tier",
                saved.id,
                request.remote_addr,
                _(
                    "%(tier)s: from %(threshold)s, discount %(discount)s",
                    tier=saved.name,
                    threshold=format_rub_whole(saved.threshold_amount),
                    discount=format_percent(saved.discount_percent),
                ),
            )
            db.session.commit()
            flash(_("Tier saved."), "success")
            return redirect(url_for("crm.tiers.tier_list"))
    status = 400 if form.is_submitted() else 200
    return render_template("crm/tier_form.html", form=form, tier=tier), status

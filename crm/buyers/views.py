from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from crm.audit.services import record
from crm.auth import current_staff
from crm.buyers import bp
from crm.buyers.forms import BuyerFilterForm
from crm.buyers.queries import BuyerFilters, buyer_card, buyer_page
from crm.permissions import requires
from crm.staff.models import Role, StaffUser
from crm.tiers.services import tiers_in_order
from storefront.errors import NotFound
from storefront.extensions import db


@bp.get("/")
@requires("buyers.view")
def buyer_list() -> tuple[str, int]:
    form = BuyerFilterForm(request.args)
    managers = db.session.scalars(
        select(StaffUser).where(StaffUser.role == Role.ACCOUNT_MANAGER).order_by(StaffUser.email)
    ).all()
    context = {"form": form, "tiers": tiers_in_order(db.session), "managers": managers}
    if request.args and not form.validate():
        return render_template("crm/buyers.html", page=None, **context), 400
    filters = BuyerFilters(tier_id=form.tier.data, manager_id=form.manager.data, search=form.q.data or None)
    return render_template("crm/buyers.html", page=buyer_page(db.session, filters, form.page.data or 1), **context), 200


@bp.get("/<int:buyer_id>")
@requires("buyers.view")
def buyer_detail(buyer_id: int) -> str:
    card = buyer_card(db.session, buyer_id)
    if card is None:
        raise NotFound()
    record(db.session, current_staff(), "buyer.view", "buyer", buyer_id, request.remote_addr)
    return render_template("crm/buyer.html", card=card)

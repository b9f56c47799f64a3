from __future__ import annotations

from flask import render_template, request

from crm.audit import bp
from crm.audit.forms import AuditFilterForm
from crm.audit.queries import AuditFilters, audit_page, known_actions
from crm.permissions import requires
from storefront.extensions import db


@bp.get("/")
@requires("audit.view")
def audit_log() -> tuple[str, int]:
    form = AuditFilterForm(request.args)
    if request.args and not form.validate():
        return render_template("crm/audit.html", form=form, page=None, actions=known_actions(db.session())), 400
    filters = AuditFilters(
        staff_email=form.staff_email.data or None,
        action=form.action.data or None,
        target_type=form.target_type.data or None,
        target_id=form.target_id.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )
    page = audit_page(db.session(), filters, form.page.data or 1)
    return render_template("crm/audit.html", form=form, page=page, actions=known_actions(db.session())), 200

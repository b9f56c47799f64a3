from __future__ import annotations

from flask import render_template, request

from crm.audit import bp
from crm.audit.actions import action_label
from crm.audit.forms import AuditFilterForm
from crm.audit.queries import AuditFilters, AuditPage, audit_page, known_actions
from crm.permissions import requires
from storefront.extensions import db


def _render(form: AuditFilterForm, page: AuditPage | None, status: int) -> tuple[str, int]:
    actions = known_actions(db.session())
    return render_template("crm/audit.html", form=form, page=page, actions=actions, action_label=action_label), status


@bp.get("/")
@requires("audit.view")
def audit_log() -> tuple[str, int]:
    form = AuditFilterForm(request.args)
    if request.args and not form.validate():
        return _render(form, None, 400)
    filters = AuditFilters(
        staff_email=form.staff_email.data or None,
        action=form.action.data or None,
        target_type=form.target_type.data or None,
        target_id=form.target_id.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )
    return _render(form, audit_page(db.session(), filters, form.page.data or 1), 200)

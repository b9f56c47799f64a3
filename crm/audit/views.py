from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from crm.audit import bp
from crm.audit.actions import LABELS, action_label, detail_label, target_label
from crm.audit.forms import AuditFilterForm
from crm.audit.queries import AuditFilters, AuditPage, audit_page, known_actions
from crm.permissions import requires
from storefront.extensions import db


def _render(form: AuditFilterForm, page: AuditPage | None, status: int) -> tuple[str, int]:
    return render_template(
        "crm/audit.html",
        form=form,
        page=page,
        action_label=action_label,
        target_label=target_label,
        detail_label=detail_label,
    ), status


def _filter_form() -> AuditFilterForm:
    """The filters, the action chosen by its label among the declared actions and any other stored one."""
    form = AuditFilterForm(request.args)
    actions = {str(action) for action in LABELS} | set(known_actions(db.session()))
    labelled = sorted(((action_label(action), action) for action in actions), key=lambda pair: pair[0].casefold())
    form.action.choices = [("", _("All actions"))] + [(action, label) for label, action in labelled]
    return form


@bp.get("/")
@requires("audit.view")
def audit_log() -> tuple[str, int]:
    form = _filter_form()
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

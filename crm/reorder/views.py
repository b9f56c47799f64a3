"""«Повторные заказы» (due and at-risk buyers) and the retention analytics page with CSV exports."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.csv_export import csv_download
from crm.permissions import requires
from crm.reorder import bp
from crm.reorder.forms import ReorderListForm, RetentionExportForm
from crm.reorder.models import STATUS_LABELS
from crm.reorder.queries import reorder_tab, value_at_risk
from crm.reorder.snapshot import RetentionFigures, latest_figures, take_snapshot
from crm.staff.forms import ConfirmForm
from crm.staff.models import Role
from crm.staff.queries import account_managers
from storefront.db import utcnow
from storefront.extensions import db
from storefront.moscow import to_moscow

#: The tabs' names (``crm.reorder.queries.TABS``).
TAB_LABELS = {"due": _l("Time to reorder"), "risk": _l("At risk of leaving"), "lapsed": _l("Nothing in 12 months")}


def reorder_status_label(status: str) -> str:
    """The Russian name of a reorder status (a template global: the card and lists use it too)."""
    label = STATUS_LABELS.get(status)  # type: ignore[call-overload]
    return str(label) if label is not None else status


@bp.app_context_processor
def reorder_template_globals() -> dict[str, object]:
    return {"reorder_status_label": reorder_status_label, "format_decimal": format_decimal}


@bp.get("/reorders")
@requires("reorders.view")
def reorder_lists() -> tuple[str, int]:
    """Three tabs (due, at risk, lapsed), a page each, with actions on every row (task, note, assign).

    An account manager sees their own buyers; an admin everyone, or one manager's with ?manager=.
    """
    staff = require_staff()
    form = ReorderListForm(request.args)
    managers = account_managers(db.session(), active_only=False)
    context = {
        "form": form,
        "managers": managers,
        "active_managers": [manager for manager in managers if manager.is_active],
        "is_admin": staff.role == Role.ADMIN,
        "tab_labels": TAB_LABELS,
        "value_at_risk": value_at_risk,
        "tomorrow": to_moscow(utcnow()).date() + timedelta(days=1),
    }
    if request.args and not form.validate():
        return render_template("crm/reorders.html", listing=None, **context), 400
    manager_id = staff.id if staff.role == Role.ACCOUNT_MANAGER else form.manager.data
    listing = reorder_tab(db.session(), form.tab.data or "due", manager_id, form.page.data or 1)
    return render_template("crm/reorders.html", listing=listing, **context), 200


def _figures(commit: bool = True) -> RetentionFigures:
    """The newest snapshot; the first visit to a database without one takes it (committed here, or with the
    caller's audit entry when ``commit`` is False)."""
    figures = latest_figures(db.session())
    if figures is None:
        figures = take_snapshot(db.session(), utcnow())
        if commit:
            db.session.commit()
    return figures


def _retention_page(refresh_form: ConfirmForm) -> str:
    figures = _figures()
    return render_template(
        "crm/retention.html",
        figures=figures,
        refresh_form=refresh_form,
        width=figures.cohort_width,
        repeat=figures.repeat,
        years=figures.years,
        second=figures.second,
        cohorts=figures.cohorts,
    )


@bp.get("/analytics/retention")
@requires("retention.view")
def retention() -> str:
    return _retention_page(ConfirmForm.for_page())


@bp.post("/analytics/retention/refresh")
@requires("retention.view")
def retention_refresh() -> Response | tuple[str, int]:
    """Take a snapshot now (a few seconds on a large database) instead of waiting for the nightly one."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The figures were not recalculated: send the form from the page again."), "error")
        return _retention_page(ConfirmForm.for_page()), 400
    take_snapshot(db.session(), utcnow())
    db.session.commit()
    flash(_("The figures have been recalculated."), "success")
    return redirect(url_for("crm.reorder.retention"))


def _rows(table: str, figures: RetentionFigures) -> list[list[object]]:
    if table == "repeat":
        rate = figures.repeat
        return [
            [_("Buyers with a paid order"), _("Buyers with two or more"), _("Repeat purchase rate, %")],
            [rate.buyers, rate.repeat_buyers, rate.percent],
        ]
    if table == "years":
        return [[_("Year"), _("Buyers"), _("Orders"), _("Orders per buyer")]] + [
            [row.year, row.buyers, row.orders, row.per_buyer] for row in figures.years
        ]
    if table == "second":
        return [[_("Days to the second order"), _("Buyers"), _("Share, %")]] + [
            [row.label, row.buyers, row.percent] for row in figures.second
        ]
    width = figures.cohort_width
    return [[_("Cohort"), _("Buyers"), *[_("Month %(num)s, %%", num=k) for k in range(width)]]] + [
        [row.month, row.size, *row.percents] for row in figures.cohorts
    ]


@bp.get("/analytics/retention/export.csv")
@requires("retention.view")
def retention_export() -> Response:
    """One table of the retention page as CSV (UTF-8 with BOM, «;»); every export is audited."""
    form = RetentionExportForm(request.args)
    if not form.validate():
        message = _("Unknown table: choose repeat, years, second or cohorts.")
        return Response(message, status=400, mimetype="text/plain")
    table = form.table.data or "cohorts"
    rows = _rows(table, _figures(commit=False))
    titles = {
        "repeat": _("Repeat purchase rate"),
        "years": _("Orders per buyer per year"),
        "second": _("Time to the second order"),
        "cohorts": _("Monthly cohorts"),
    }
    record(
        db.session(),
        require_staff(),
        AuditAction.RETENTION_EXPORT,
        "retention",
        table,
        request.remote_addr,
        titles.get(table, table),
    )
    db.session.commit()
    return csv_download(rows, f"retention-{table}.csv")

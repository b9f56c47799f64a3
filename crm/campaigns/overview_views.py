"""The cross-campaign report page (/crm/campaigns/report) and its two CSV exports; the reads are in
``crm.campaigns.overview``. The chart's data goes into the page as JSON (a data script tag, as on the dashboard);
``static/crm/campaign_report.js`` draws it with the vendored Chart.js."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.campaigns import bp
from crm.campaigns.overview import MAX_MONTHS, Figures, Overview, Scope, campaign_overview, default_period
from crm.campaigns.overview import months_between as count_months
from crm.csv_export import csv_download
from crm.permissions import requires
from storefront.db import utcnow
from storefront.extensions import db
from storefront.form_fields import CalendarDayField
from storefront.i18n import format_percent
from storefront.moscow import to_moscow

SCOPE_LABELS = {
    Scope.MANUAL: _l("Manual campaigns"),
    Scope.AUTOMATIC: _l("Automatic campaigns"),
    Scope.ALL: _l("All campaigns"),
}


class ReportPeriodForm(FlaskForm):
    """The report's period (Moscow days, both ends included) and campaigns; a query-string form."""

    class Meta:
        csrf = False

    date_from = CalendarDayField(_l("From"), validators=[Optional()])
    date_to = CalendarDayField(_l("To"), validators=[Optional()])
    scope = SelectField(
        _l("Campaigns"),
        choices=[SelectChoice(scope.value, label) for scope, label in SCOPE_LABELS.items()],
        default=Scope.MANUAL.value,
        validate_choice=False,
    )

    def validate_scope(self, field: SelectField) -> None:
        if field.data not in {scope.value for scope in Scope}:
            raise ValidationError(_l("Choose which campaigns to show from the list."))

    def period(self, today: date) -> tuple[date, date]:
        """The chosen days; by default this Moscow month and the eleven before it."""
        default_start, default_end = default_period(self.date_to.data or today)
        return self.date_from.data or default_start, self.date_to.data or default_end

    def check_period(self, today: date) -> tuple[date, date] | None:
        """The period, or None with the reason on ``date_to``: the end before the start, or over MAX_MONTHS."""
        start, end = self.period(today)
        if end < start:
            self.date_to.errors = [*self.date_to.errors, _("The period must end after it starts.")]
            return None
        if count_months(start, end) > MAX_MONTHS:
            self.date_to.errors = [
                *self.date_to.errors,
                _("Choose a period of at most %(num)d months.", num=MAX_MONTHS),
            ]
            return None
        return start, end


def _read(form: ReportPeriodForm) -> Overview | None:
    if not form.validate():
        return None
    period = form.check_period(to_moscow(utcnow()).date())
    if period is None:
        return None
    return campaign_overview(db.session(), period[0], period[1], Scope(form.scope.data or Scope.MANUAL.value))


def _roubles(amount: Decimal | None) -> int | None:
    """Whole roubles for the revenue bars (the tables show exact amounts)."""
    if amount is None:
        return None
    return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _chart(overview: Overview) -> dict[str, Any]:
    return {
        "labels": [format_date(line.month, "LLL yyyy") for line in overview.months],
        "revenue": {"label": _("Revenue"), "data": [_roubles(line.figures.revenue) for line in overview.months]},
        "per_message": {
            "label": _("Revenue per message"),
            "data": [
                float(line.figures.revenue_per_message) if line.figures.revenue_per_message is not None else None
                for line in overview.months
            ],
        },
    }


@bp.get("/report")
@requires("campaigns.view")
def campaign_overview_page() -> tuple[str, int]:
    """Revenue, orders, unsubscribes and revenue per message by campaign and by Moscow month, for a period."""
    form = ReportPeriodForm(request.args)
    overview = _read(form)
    if overview is None:
        return render_template("crm/campaigns/overview.html", form=form, overview=None, chart=None), 400
    return render_template(
        "crm/campaigns/overview.html",
        form=form,
        overview=overview,
        chart=_chart(overview),
        channel_label=channel_label,
        scope_label=SCOPE_LABELS[overview.scope],
    ), 200


def _rate(value: Decimal | None) -> str:
    return format_percent(value) if value is not None else ""


def _figure_cells(figures: Figures) -> list[object]:
    return [figures.delivered, figures.orders, figures.revenue, figures.revenue_per_message]


def _campaign_cells(figures: Figures) -> list[object]:
    """A campaign row's figures (and the total row's): the month table's and unsubscribes, open and click rates."""
    return [*_figure_cells(figures), figures.unsubscribed, _rate(figures.open_rate), _rate(figures.click_rate)]


def _campaign_rows(overview: Overview) -> list[list[object]]:
    header = [
        _("Campaign"),
        _("Channel"),
        _("Sending started (Moscow)"),
        _("Messages delivered"),
        _("Orders"),
        _("Revenue, ₽"),
        _("Revenue per message, ₽"),
        _("Unsubscribed"),
        _("Open rate"),
        _("Click rate"),
    ]
    rows: list[list[object]] = [header]
    for line in overview.campaigns:
        started = (
            to_moscow(line.started_at).strftime("%d.%m.%Y")
            if line.started_at is not None
            else _("automatic, within the period")
        )
        rows.append([line.name, channel_label(line.channel), started, *_campaign_cells(line.figures)])
    rows.append([_("Total"), "", "", *_campaign_cells(overview.campaign_total)])
    return rows


def _month_rows(overview: Overview) -> list[list[object]]:
    header = [
        _("Month"),
        _("Messages delivered"),
        _("Orders"),
        _("Revenue, ₽"),
        _("Revenue per message, ₽"),
        _("Unsubscribed"),
    ]
    rows: list[list[object]] = [header]
    for line in overview.months:
        rows.append([format_date(line.month, "LLLL yyyy"), *_figure_cells(line.figures), line.figures.unsubscribed])
    total = overview.month_total
    rows.append([_("Total"), *_figure_cells(total), total.unsubscribed])
    return rows


def channel_label(channel: str) -> str:
    return _("Telegram") if channel == "telegram" else _("E-mail")


def _export(table: str) -> Response:
    form = ReportPeriodForm(request.args)
    overview = _read(form)
    if overview is None:
        messages = [str(message) for field in form for message in field.errors]
        return Response(
            " ".join(messages) or _("Check the period: a date like 2026-12-01, the end after the start."),
            400,
            mimetype="text/plain",
        )
    rows = _campaign_rows(overview) if table == "campaigns" else _month_rows(overview)
    record(
        db.session(),
        require_staff(),
        AuditAction.CAMPAIGN_REPORT_EXPORT,
        "campaign_report",
        table,
        request.remote_addr,
        f"{overview.start.isoformat()}…{overview.end.isoformat()} {overview.scope.value}: {len(rows) - 2} rows",
    )
    db.session.commit()
    return csv_download(rows, f"campaigns-{table}-{overview.start}-{overview.end}.csv")


@bp.get("/report/campaigns.csv")
@requires("campaigns.export")
def campaign_overview_campaigns_csv() -> Response:
    """The table by campaign as CSV (UTF-8 with BOM, «;»); audited."""
    return _export("campaigns")


@bp.get("/report/months.csv")
@requires("campaigns.export")
def campaign_overview_months_csv() -> Response:
    """The table by month as CSV; audited."""
    return _export("months")

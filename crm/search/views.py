"""Search pages of the CRM: synonyms (list, add, edit, delete; every change audited) and «Спрос без предложения»."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.csv_export import csv_download
from crm.permissions import requires
from crm.search import bp
from crm.search.forms import DeleteSynonymForm, DemandPeriodForm, SynonymForm
from crm.search.queries import DemandLine, synonym_overview
from crm.search.queries import demand_report as read_demand
from crm.search.services import (
    SynonymData,
    SynonymError,
    create_synonym,
    delete_synonym,
    describe,
    update_synonym,
)
from storefront.db import utcnow
from storefront.extensions import db
from storefront.moscow import to_moscow
from storefront.search.models import SearchSynonym
from storefront.search.synonyms import forget_synonyms
from storefront.search.understand import built_in_synonyms


@bp.get("/synonyms")
@requires("synonyms.view")
def synonym_list() -> str:
    return render_template("crm/search/synonyms.html", lines=synonym_overview(db.session()))


def _data(form: SynonymForm) -> SynonymData:
    return SynonymData(form.word.data or "", form.alternatives.data or "", bool(form.is_disabled.data))


def _saved(message: str) -> Response:
    db.session.commit()
    forget_synonyms()  # this process searches with the change at once; others within CATEGORY_CACHE_SECONDS
    flash(message, "success")
    return redirect(url_for("crm.search.synonym_list"))


@bp.route("/synonyms/new", methods=["GET", "POST"])
@requires("synonyms.edit")
def synonym_new() -> Response | tuple[str, int]:
    form = SynonymForm()
    if request.method == "GET" and (word := request.args.get("word", "")[:100]):
        # «Edit» on a built-in entry: start from its alternatives.
        form.word.data = word
        form.alternatives.data = "\n".join(built_in_synonyms().get(word, ()))
    error = None
    if form.validate_on_submit():
        try:
            synonym = create_synonym(db.session(), _data(form))
        except SynonymError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            detail = describe(synonym.word, synonym.alternatives, synonym.is_disabled)
            record(
                db.session(),
                require_staff(),
                AuditAction.SYNONYM_CREATE,
                "search_synonym",
                synonym.id,
                request.remote_addr,
                detail,
            )
            return _saved(_("Synonyms of «%(word)s» saved.", word=synonym.word))
    status = 200 if request.method == "GET" else 400
    return render_template("crm/search/synonym_form.html", form=form, error=error, synonym=None), status


@bp.route("/synonyms/<int:synonym_id>/edit", methods=["GET", "POST"])
@requires("synonyms.edit")
def synonym_edit(synonym_id: int) -> Response | tuple[str, int]:
    synonym = db.session.get(SearchSynonym, synonym_id)
    if synonym is None:
        return render_template("crm/message.html", message=_("There is no such synonym group.")), 404
    form = SynonymForm(obj=None if request.method == "POST" else synonym)
    if request.method == "GET":
        form.alternatives.data = "\n".join(synonym.alternatives or ())
    error = None
    if form.validate_on_submit():
        before = describe(synonym.word, synonym.alternatives, synonym.is_disabled)
        try:
            update_synonym(db.session(), synonym, _data(form))
        except SynonymError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            after = describe(synonym.word, synonym.alternatives, synonym.is_disabled)
            record(
                db.session(),
                require_staff(),
                AuditAction.SYNONYM_UPDATE,
                "search_synonym",
                synonym.id,
                request.remote_addr,
                f"{before} ⇒ {after}",
            )
            return _saved(_("Synonyms of «%(word)s» saved.", word=synonym.word))
    status = 200 if request.method == "GET" else 400
    return render_template(
        "crm/search/synonym_form.html", form=form, error=error, synonym=synonym, delete_form=DeleteSynonymForm()
    ), status


@bp.post("/synonyms/<int:synonym_id>/delete")
@requires("synonyms.edit")
def synonym_delete(synonym_id: int) -> Response | tuple[str, int]:
    form = DeleteSynonymForm()
    if not form.validate_on_submit():
        return render_template("crm/message.html", message=_("Tick the box to confirm.")), 400
    synonym = db.session.get(SearchSynonym, synonym_id)
    if synonym is None:
        return render_template("crm/message.html", message=_("There is no such synonym group.")), 404
    word, detail = synonym.word, describe(synonym.word, synonym.alternatives, synonym.is_disabled)
    delete_synonym(db.session(), synonym)
    record(
        db.session(),
        require_staff(),
        AuditAction.SYNONYM_DELETE,
        "search_synonym",
        synonym_id,
        request.remote_addr,
        detail,
    )
    return _saved(_("The CRM synonyms of «%(word)s» are deleted.", word=word))


def _period(form: DemandPeriodForm) -> tuple[date, date]:
    return form.period(to_moscow(utcnow()).date())


@bp.get("/demand")
@requires("demand.view")
def demand_report() -> tuple[str, int]:
    """«Спрос без предложения»: queries that found nothing or little over a period, most searched first."""
    form = DemandPeriodForm(request.args)
    if not form.validate():
        return render_template("crm/search/demand.html", form=form, lines=None, period=None), 400
    start, end = _period(form)
    if end < start:
        form.date_from.errors = [_("The period must end after it starts.")]
        return render_template("crm/search/demand.html", form=form, lines=None, period=None), 400
    lines = read_demand(db.session(), start, end)
    return render_template("crm/search/demand.html", form=form, lines=lines, period=(start, end)), 200


def _csv_rows(lines: list[DemandLine]) -> list[list[object]]:
    header = [_("Query"), _("Searches"), _("Of them found nothing"), _("First seen (Moscow)"), _("Last seen (Moscow)")]
    return [header] + [
        [
            line.query,
            line.searches,
            line.empty_searches,
            to_moscow(line.first_seen_at).strftime("%d.%m.%Y %H:%M"),
            to_moscow(line.last_seen_at).strftime("%d.%m.%Y %H:%M"),
        ]
        for line in lines
    ]


@bp.get("/demand/export.csv")
@requires("demand.export")
def demand_export() -> Response:
    """The demand report as CSV (UTF-8 with BOM, «;»); every export is audited."""
    form = DemandPeriodForm(request.args)
    start_end = _period(form) if form.validate() else None
    if start_end is None or start_end[1] < start_end[0]:
        return Response(
            _("Check the period: a date like 2026-12-01, the end after the start."), 400, mimetype="text/plain"
        )
    start, end = start_end
    lines = read_demand(db.session(), start, end)
    record(
        db.session(),
        require_staff(),
        AuditAction.DEMAND_EXPORT,
        "search_demand",
        "",
        request.remote_addr,
        f"{start.isoformat()}…{end.isoformat()}: {len(lines)} rows",
    )
    db.session.commit()
    return csv_download(_csv_rows(lines), f"search-demand-{start}-{end}.csv")

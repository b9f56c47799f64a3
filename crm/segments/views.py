"""Segment pages: the list with live counts, the builder (new/edit), the live count + preview JSON, delete."""

from __future__ import annotations

import json
from typing import Any, overload

from flask import Response as FlaskResponse
from flask import flash, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.csv_export import csv_lines
from crm.permissions import has_permission, requires
from crm.segments import bp
from crm.segments.compiler import InvalidSegment
from crm.segments.forms import DeleteSegmentForm, SegmentForm
from crm.segments.models import Segment
from crm.segments.queries import builder_schema, segment_count, segment_export_rows, segment_preview, segment_rows
from crm.segments.services import delete_segment, parse_definition, save_segment
from storefront.errors import NotFound
from storefront.extensions import db

EMPTY_DEFINITION = {"op": "and", "conditions": []}


@bp.get("/")
@requires("segments.view")
def segment_list() -> str:
    return render_template("crm/segments.html", rows=segment_rows(db.session()))


@overload
def _segment(segment_id: int) -> Segment: ...
@overload
def _segment(segment_id: int | None) -> Segment | None: ...
def _segment(segment_id: int | None) -> Segment | None:
    if segment_id is None:
        return None
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        raise NotFound()
    return segment


@bp.route("/new", methods=["GET", "POST"], endpoint="segment_new")
@bp.route("/<int:segment_id>", methods=["GET", "POST"])
@requires("segments.edit")
def segment_edit(segment_id: int | None = None) -> Response | tuple[str, int]:
    segment = _segment(segment_id)
    form = SegmentForm(obj=segment)
    definition: Any = segment.definition if segment is not None else EMPTY_DEFINITION
    error = None
    if request.method == "GET":
        form.definition.data = json.dumps(definition, ensure_ascii=False)
    elif form.validate_on_submit():
        try:
            definition = parse_definition(form.definition.data)
        except InvalidSegment as refused:
            error = str(refused)
        else:
            staff = require_staff()
            action = AuditAction.SEGMENT_CREATE if segment is None else AuditAction.SEGMENT_UPDATE
            saved = save_segment(db.session(), segment, form.name.data, definition, staff.id)
            detail = json.dumps(definition, ensure_ascii=False)
            record(db.session(), staff, action, "segment", saved.id, request.remote_addr, detail)
            db.session.commit()
            flash(_("Segment «%(name)s» saved.", name=saved.name), "success")
            return redirect(url_for("crm.segments.segment_list"))
    status = 200 if request.method == "GET" else 400
    context = {
        "form": form,
        "segment": segment,
        "error": error,
        "schema": builder_schema(db.session()),
        "delete_form": DeleteSegmentForm(),
    }
    return render_template("crm/segment_form.html", **context), status


@bp.post("/preview")
@requires("segments.edit")
def segment_preview_json() -> tuple[Response, int]:
    """Live count and the first buyers (name, city, tier — no contacts) for the definition in the JSON body."""
    try:
        definition = parse_definition(request.get_data(cache=False, as_text=True))
    except InvalidSegment as refused:
        return jsonify(error=str(refused)), 400
    rows = segment_preview(db.session(), definition)
    return jsonify(
        count=segment_count(db.session(), definition),
        buyers=[{"name": row.name, "city": row.city, "tier": row.tier} for row in rows],
    ), 200


@bp.post("/<int:segment_id>/delete")
@requires("segments.edit")
def segment_delete(segment_id: int) -> Response | tuple[str, int]:
    segment = _segment(segment_id)
    form = DeleteSegmentForm()
    if not form.validate_on_submit():
        return render_template("crm/message.html", message=_("Tick the box to confirm the deletion.")), 400
    name = segment.name
    record(db.session(), require_staff(), AuditAction.SEGMENT_DELETE, "segment", segment.id, request.remote_addr, name)
    delete_segment(db.session(), segment)
    db.session.commit()
    flash(_("Segment «%(name)s» deleted.", name=name), "success")
    return redirect(url_for("crm.segments.segment_list"))


@bp.get("/<int:segment_id>/export.csv")
@requires("segments.export")
def segment_export(segment_id: int) -> FlaskResponse:
    """The segment's buyers as CSV for Russian Excel, streamed; audited with the count. Contacts (e-mail, phone)
    only for staff who may export buyers (``buyers.export``): a marketer gets none."""
    segment = _segment(segment_id)
    staff = require_staff()
    with_contacts = staff is not None and has_permission(staff.role, "buyers.export")
    count = segment_count(db.session(), segment.definition)
    detail = f"{count}; {'contacts' if with_contacts else 'no contacts'}"
    record(db.session(), staff, AuditAction.SEGMENT_EXPORT, "segment", segment.id, request.remote_addr, detail)
    db.session.commit()
    kinds = {"company": _("Company"), "person": _("Private person")}
    header = [_("Buyer no."), _("Name"), _("Kind"), _("Region"), _("City"), _("Tier")]
    if with_contacts:
        header += [_("E-mail"), _("Phone")]
    definition = segment.definition

    def rows() -> Any:
        yield header
        for row in segment_export_rows(db.session(), definition, with_contacts):
            yield (row[0], row[1], kinds.get(str(row[2]), ""), *row[3:])

    return FlaskResponse(
        stream_with_context(csv_lines(rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=segment-{segment.id}.csv"},
    )

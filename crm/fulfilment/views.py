"""Staff pages for shipments and cargo batches. Thin: the use cases are ``storefront.fulfilment.services`` and
``csv_import``; each POST commits once with its audit entry, then announces the orders that moved."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.fulfilment import bp
from crm.fulfilment.forms import (
    BatchForm,
    BatchShipmentsForm,
    EventForm,
    LegForm,
    LegStatusForm,
    RemoveShipmentForm,
    ShipmentForm,
    TrackingImportForm,
)
from crm.permissions import requires
from storefront.db import utcnow
from storefront.extensions import db
from storefront.fulfilment.csv_import import ImportRejected, Problem, RowProblem, import_tracking_csv
from storefront.fulfilment.models import CargoBatch, EventKind, LegMode, LegStatus, Shipment
from storefront.fulfilment.services import (
    Moved,
    ShipFailure,
    ShipmentError,
    add_batch_event,
    add_event,
    add_leg,
    add_to_batch,
    create_batch,
    find_shipments,
    get_batch,
    get_shipment,
    list_batches,
    list_carriers,
    remove_from_batch,
    set_leg_status,
    ship_order,
)
from storefront.fulfilment.web import order_shipments
from storefront.moscow import to_moscow
from storefront.order.models import Order, OrderLine, OrderStatus
from storefront.order.services import announce_status_change, get_order_by_number
from storefront.outbox import expect_mail

logger = logging.getLogger(__name__)


@dataclass
class ShippingPanel:
    """What the order page's shipments section shows (``_order_shipments.html``)."""

    shipments: list[Shipment]
    remaining: list[tuple[OrderLine, int]]
    ship_form: ShipmentForm | None
    #: Shipment id → its «Добавить событие» form (prefixed, so the ids on the page are unique).
    event_forms: dict[int, EventForm]


@bp.app_template_global()
def shipping_panel(order: Order, editable: bool = False) -> ShippingPanel:
    parcels = order_shipments(order)
    ship_form = None
    event_forms: dict[int, EventForm] = {}
    if editable:
        ship_form = ShipmentForm(formdata=None)
        ship_form.shipped_on.data = to_moscow(utcnow()).date()  # today in Moscow, as a rule
        ship_form.carrier.choices = [(carrier.id, carrier.name) for carrier in list_carriers(db.session())]
        event_forms = {s.id: EventForm(formdata=None, prefix=event_prefix(s.id)) for s in parcels.shipments}
    return ShippingPanel(parcels.shipments, parcels.remaining, ship_form, event_forms)


def event_prefix(shipment_id: int) -> str:
    return f"s{shipment_id}"


def _announce(moved: list[Moved]) -> None:
    for order, previous in moved:
        announce_status_change(order, previous)


def _problem(messages: list[str], back: str, status: int = 400) -> tuple[str, int]:
    return render_template("crm/fulfilment/problem.html", messages=messages, back=back), status


def _form_errors(form: object) -> list[str]:
    errors = getattr(form, "errors", {})
    return [str(message) for messages in errors.values() for message in messages]


def ship_message(error: ShipmentError) -> str:
    values = error.values
    return {
        ShipFailure.NOT_SHIPPABLE: _(
            "The order cannot be shipped now: it must be paid and confirmed or packed (now: %(status)s).",
            status=values.get("status", ""),
        ),
        ShipFailure.NO_LINES: _("Say how many pieces of which line go in this parcel."),
        ShipFailure.UNKNOWN_LINE: _("A line of another order was given."),
        ShipFailure.TOO_MANY: ngettext(
            "«%(line)s»: only %(num)d piece is left to send.",
            "«%(line)s»: only %(num)d pieces are left to send.",
            values.get("left", 0),
            line=values.get("line", ""),
        ),
        ShipFailure.UNKNOWN_CARRIER: _("Choose the carrier from the list."),
        ShipFailure.BAD_NUMBER: _(
            "%(number)s is not a tracking number of %(carrier)s.",
            number=values.get("number", ""),
            carrier=values.get("carrier", ""),
        ),
        ShipFailure.BAD_BATCH: _("None of these numbers is a shipment."),
    }[error.code]


@bp.post("/orders/<number>/shipments")
@requires("shipments.edit")
def ship(number: str) -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    order = get_order_by_number(session, number)
    back = url_for("crm.orders.order_detail", number=number) + "#shipments"
    form = ShipmentForm()
    form.carrier.choices = [(carrier.id, carrier.name) for carrier in list_carriers(session)]
    if not form.validate_on_submit():
        return _problem(_form_errors(form) + getattr(form, "quantity_errors", []), back)
    try:
        shipped = ship_order(
            session,
            order,
            form.quantities,
            form.carrier.data,
            form.tracking_number.data or "",
            form.shipped_at,
            staff_id=staff.id,
        )
    except ShipmentError as error:
        session.rollback()
        return _problem([ship_message(error)], back, 409 if error.code == ShipFailure.NOT_SHIPPABLE else 400)
    shipment = shipped.shipment
    detail = f"{shipment.carrier.name} {shipment.tracking_number}: " + ", ".join(
        f"{line.order_line.sku} × {line.quantity}" for line in shipment.lines
    )
    record(session, staff, AuditAction.SHIPMENT_CREATE, "order", number, request.remote_addr, detail)
    if shipped.previous == OrderStatus.SHIPPED:  # a further part: the status e-mail is not sent, this one is
        expect_mail(session, "order_shipment", shipment_id=shipment.id)
    session.commit()
    _announce(shipped.moved)
    flash(_("Parcel %(number)s is sent.", number=shipment.tracking_number), "success")
    return redirect(back)


@bp.post("/shipments/<int:shipment_id>/events")
@requires("shipments.edit")
def shipment_event(shipment_id: int) -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    shipment = get_shipment(session, shipment_id)
    number = shipment.order.number or ""
    back = url_for("crm.orders.order_detail", number=number) + "#shipments"
    form = EventForm(prefix=event_prefix(shipment_id))
    if not form.validate_on_submit():
        return _problem(_form_errors(form), back)
    added, moved = add_event(
        session,
        shipment,
        EventKind(form.kind.data),
        form.occurred_at,
        form.place.data or "",
        form.note.data or "",
        staff_id=staff.id,
    )
    if not added:
        session.rollback()
        flash(_("This event is already there: nothing changed."), "info")
        return redirect(back)
    detail = f"{shipment.tracking_number}: {form.kind.data} {form.place.data or ''}".strip()
    record(session, staff, AuditAction.TRACKING_EVENT_ADD, "order", number, request.remote_addr, detail)
    session.commit()
    _announce(moved)
    flash(_("The event is added."), "success")
    return redirect(back)


# --- cargo batches ----------------------------------------------------------------------------------------------


@bp.get("/cargo")
@requires("orders.view")
def batch_list() -> str:
    return render_template(
        "crm/fulfilment/batches.html", batches=list_batches(db.session()), form=BatchForm(formdata=None)
    )


@bp.post("/cargo")
@requires("shipments.edit")
def batch_create() -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    form = BatchForm()
    if not form.validate_on_submit():
        return _problem(
            _form_errors(form) or [_("The form is out of date. Open the page again.")], url_for(".batch_list")
        )
    batch = create_batch(session, form.note.data or "")
    add_leg(session, batch, form.origin.data or "", form.destination.data or "", LegMode(form.mode.data))
    record(session, staff, AuditAction.CARGO_BATCH_CREATE, "cargo_batch", batch.number, request.remote_addr)
    session.commit()
    flash(_("Batch %(number)s is created.", number=batch.number), "success")
    return redirect(url_for(".batch_detail", batch_number=batch.number))


def _batch(batch_number: str) -> CargoBatch:
    return get_batch(db.session(), batch_number)


@bp.get("/cargo/<batch_number>")
@requires("orders.view")
def batch_detail(batch_number: str) -> str:
    batch = _batch(batch_number)
    return render_template(
        "crm/fulfilment/batch.html",
        batch=batch,
        event_form=EventForm(formdata=None),
        leg_form=LegForm(formdata=None),
        leg_status_form=LegStatusForm(formdata=None),
        shipments_form=BatchShipmentsForm(formdata=None),
        remove_form=RemoveShipmentForm(formdata=None),
    )


@bp.post("/cargo/<batch_number>/events")
@requires("shipments.edit")
def batch_event(batch_number: str) -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    batch = _batch(batch_number)
    back = url_for(".batch_detail", batch_number=batch_number)
    form = EventForm()
    if not form.validate_on_submit():
        return _problem(_form_errors(form), back)
    kind = form.kind.data
    added, moved = add_batch_event(
        session,
        batch,
        EventKind(kind),
        form.occurred_at,
        form.place.data or "",
        form.note.data or "",
        staff_id=staff.id,
    )
    detail = f"{kind} {form.place.data or ''}: {added}".strip()
    record(session, staff, AuditAction.CARGO_BATCH_EVENT, "cargo_batch", batch_number, request.remote_addr, detail)
    session.commit()
    _announce(moved)
    flash(
        ngettext("The event reached %(num)d shipment.", "The event reached %(num)d shipments.", added)
        if added
        else _("Every shipment of the batch already has this event: nothing changed."),
        "success" if added else "info",
    )
    return redirect(back)


@bp.post("/cargo/<batch_number>/shipments")
@requires("shipments.edit")
def batch_add_shipments(batch_number: str) -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    batch = _batch(batch_number)
    back = url_for(".batch_detail", batch_number=batch_number)
    form = BatchShipmentsForm()
    if not form.validate_on_submit():
        return _problem(_form_errors(form), back)
    shipments = find_shipments(session, form.numbers.data or "")
    if not shipments:
        return _problem([_("None of these numbers is a shipment.")], back)
    joined = add_to_batch(session, batch, shipments)
    detail = ", ".join(shipment.tracking_number for shipment in shipments)
    record(session, staff, AuditAction.CARGO_BATCH_EDIT, "cargo_batch", batch_number, request.remote_addr, detail)
    session.commit()
    flash(ngettext("%(num)d shipment added.", "%(num)d shipments added.", joined), "success")
    return redirect(back)


@bp.post("/cargo/<batch_number>/shipments/remove")
@requires("shipments.edit")
def batch_remove_shipment(batch_number: str) -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    batch = _batch(batch_number)
    back = url_for(".batch_detail", batch_number=batch_number)
    form = RemoveShipmentForm()
    if not form.validate_on_submit():
        return _problem(_form_errors(form), back)
    shipment_id = form.shipment_id.data or 0
    if not remove_from_batch(session, batch, shipment_id):
        return _problem([_("This shipment is not in the batch.")], back)
    record(
        session,
        staff,
        AuditAction.CARGO_BATCH_EDIT,
        "cargo_batch",
        batch_number,
        request.remote_addr,
        f"−{shipment_id}",
    )
    session.commit()
    flash(_("The shipment is taken out of the batch."), "success")
    return redirect(back)


@bp.post("/cargo/<batch_number>/legs")
@requires("shipments.edit")
def batch_add_leg(batch_number: str) -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    batch = _batch(batch_number)
    back = url_for(".batch_detail", batch_number=batch_number)
    form = LegForm()
    if not form.validate_on_submit():
        return _problem(_form_errors(form), back)
    leg = add_leg(session, batch, form.origin.data or "", form.destination.data or "", LegMode(form.mode.data))
    detail = f"{leg.origin} → {leg.destination} ({leg.mode})"
    record(session, staff, AuditAction.CARGO_BATCH_EDIT, "cargo_batch", batch_number, request.remote_addr, detail)
    session.commit()
    return redirect(back)


@bp.post("/cargo/<batch_number>/legs/<int:leg_id>")
@requires("shipments.edit")
def batch_leg_status(batch_number: str, leg_id: int) -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    batch = _batch(batch_number)
    back = url_for(".batch_detail", batch_number=batch_number)
    form = LegStatusForm()
    if not form.validate_on_submit():
        return _problem(_form_errors(form), back)
    leg = set_leg_status(session, batch, leg_id, LegStatus(form.status.data))
    detail = f"{leg.origin} → {leg.destination}: {leg.status}"
    record(session, staff, AuditAction.CARGO_BATCH_EDIT, "cargo_batch", batch_number, request.remote_addr, detail)
    session.commit()
    return redirect(back)


# --- the consolidator's CSV -------------------------------------------------------------------------------------


def problem_message(problem: RowProblem) -> str:
    """A bad row of the tracking CSV in words, with its line."""
    text = {
        Problem.EMPTY: _("the file is empty"),
        Problem.ENCODING: _("the file is neither UTF-8 nor windows-1251"),
        Problem.NO_COLUMN: _("the header has no column %(name)s", name=problem.value),
        Problem.TOO_MANY_ROWS: _("more than %(max)s rows: split the file", max=problem.value),
        Problem.COLUMNS: _("too few columns"),
        Problem.NO_NUMBER: _("no tracking number"),
        Problem.UNKNOWN_NUMBER: _("no shipment or batch has the number %(number)s", number=problem.value),
        Problem.BAD_EVENT: _("unknown event «%(event)s»", event=problem.value),
        Problem.BAD_TIME: _("the time «%(time)s» is not like 05.12.2026 14:30", time=problem.value),
        Problem.TOO_LONG: _("a value is too long"),
    }[problem.problem]
    return _("Line %(line)s: %(problem)s", line=problem.line, problem=text)


@bp.get("/tracking-import")
@requires("shipments.edit")
def tracking_import() -> str:
    return render_template("crm/fulfilment/import.html", form=TrackingImportForm(formdata=None), problems=[])


@bp.post("/tracking-import")
@requires("shipments.edit")
def tracking_import_post() -> Response | tuple[str, int]:
    staff = require_staff()
    session = db.session()
    form = TrackingImportForm()
    if not form.validate_on_submit():
        return render_template("crm/fulfilment/import.html", form=form, problems=[]), 400
    data = form.file.data.read()
    try:
        result = import_tracking_csv(session, data, staff_id=staff.id)
    except ImportRejected as rejected:
        session.rollback()
        problems = [problem_message(problem) for problem in rejected.problems]
        return render_template("crm/fulfilment/import.html", form=form, problems=problems), 400
    filename = getattr(form.file.data, "filename", "") or ""
    detail = f"{filename}: {result.rows} / +{result.added}"
    record(session, staff, AuditAction.TRACKING_IMPORT, "tracking", filename, request.remote_addr, detail)
    session.commit()
    _announce(result.moved)
    flash(
        ngettext("%(num)d event added", "%(num)d events added", result.added)
        + "; "
        + ngettext("%(num)d already there.", "%(num)d already there.", result.repeated),
        "success",
    )
    return redirect(url_for(".tracking_import"))

"""«Мои клиенты» and the note / task actions on a buyer card (an account manager: their assigned buyers only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm.auth import require_staff
from crm.buyers.card import back_to, render_card
from crm.buyers.queries import manager_of
from crm.permissions import requires, sees_buyer_in_full
from crm.staff.models import Role, StaffUser
from crm.staff.queries import account_managers
from crm.workspace import bp
from crm.workspace.forms import NoteForm, TaskCloseForm, task_form_for
from crm.workspace.models import Task, TaskStatus
from crm.workspace.queries import due_tasks, my_buyers, near_next_tier, next_tasks, past_expected_reorder
from crm.workspace.services import add_note, close_task, open_task
from storefront.account.models import Buyer
from storefront.errors import NotFound
from storefront.extensions import db
from storefront.moscow import moscow_to_utc


def _writable_buyer(buyer_id: int) -> None:
    """404 for a missing buyer; 403 when the staff member may not write on this buyer (assignment scope)."""
    if db.session.get(Buyer, buyer_id) is None:
        raise NotFound()
    staff = require_staff()
    if not sees_buyer_in_full(staff.role, staff.id, manager_of(db.session(), buyer_id)):
        abort(403)


@bp.post("/buyers/<int:buyer_id>/notes")
@requires("notes.write")
def note_add(buyer_id: int) -> Response | tuple[str, int]:
    _writable_buyer(buyer_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_card(buyer_id, note_form=form, status=400)
    add_note(db.session(), buyer_id=buyer_id, author_id=require_staff().id, body=form.body.data)
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(back_to(url_for("crm.buyers.buyer_detail", buyer_id=buyer_id) + "#notes", buyer_id))


@bp.post("/buyers/<int:buyer_id>/tasks")
@requires("tasks.write")
def task_add(buyer_id: int) -> Response | tuple[str, int]:
    """A task with its due time typed in Moscow time (stored UTC) and an assignee among active staff."""
    _writable_buyer(buyer_id)
    staff = require_staff()
    form = task_form_for(staff.id, formdata=request.form)
    if not form.validate_on_submit():
        return render_card(buyer_id, task_form=form, status=400)
    open_task(
        db.session(),
        buyer_id=buyer_id,
        title=form.title.data.strip(),
        due_at=moscow_to_utc(datetime.combine(form.due_date.data, form.due_time.data)),
        assignee_id=form.assignee.data,
        created_by_id=staff.id,
    )
    db.session.commit()
    flash(_("Task created."), "success")
    return redirect(back_to(url_for("crm.buyers.buyer_detail", buyer_id=buyer_id) + "#tasks", buyer_id))


@bp.post("/tasks/<int:task_id>/close")
@requires("tasks.write")
def task_close(task_id: int) -> Response | tuple[str, int]:
    """Done or canceled; the buyer's manager (or an admin, or the assignee) may close it. Repeats change nothing."""
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound()
    staff = require_staff()
    if task.assignee_id != staff.id:
        _writable_buyer(task.buyer_id)
    form = TaskCloseForm()
    if not form.validate_on_submit():
        flash(_("Mark the task done or canceled."), "error")
        return render_card(task.buyer_id, status=400)
    if close_task(db.session(), task_id, TaskStatus(form.status.data)):
        db.session.commit()
        flash(_("Task closed."), "success")
    else:
        db.session.rollback()
        flash(_("The task was already closed."), "info")
    target = request.form.get("back")
    if target == "my":
        return redirect(url_for("crm.workspace.my_clients"))
    return redirect(url_for("crm.buyers.buyer_detail", buyer_id=task.buyer_id) + "#tasks")


@bp.get("/my")
@requires("workspace.view")
def my_clients() -> tuple[str, int]:
    """«Мои клиенты»: the signed-in manager's buyers, tasks due today / overdue (Moscow), alerts.

    An admin may open any account manager's page with ?manager=<id>; a manager only their own.
    """
    staff = require_staff()
    managers = account_managers(db.session(), active_only=False)
    subject = staff
    raw = request.args.get("manager", "").strip()
    if raw:
        chosen = db.session.get(StaffUser, int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if chosen is None or chosen.role != Role.ACCOUNT_MANAGER:
            message = _("Choose an account manager from the list.")
            return render_template("crm/message.html", message=message), 400
        if chosen.id != staff.id and staff.role != Role.ADMIN:
            abort(403)
        subject = chosen
    buyers = my_buyers(db.session(), subject.id)
    percent = Decimal(str(current_app.config["CRM_NEAR_TIER_PERCENT"]))
    return render_template(
        "crm/my.html",
        subject=subject,
        managers=managers if staff.role == Role.ADMIN else [],
        buyers=buyers,
        next_task=next_tasks(db.session(), [row.id for row in buyers]),
        tasks=due_tasks(db.session(), subject.id),
        near_tier=near_next_tier(db.session(), buyers, percent),
        percent=percent,
        past_reorder=past_expected_reorder(db.session(), subject.id),
        close_form=TaskCloseForm(formdata=None),
    ), 200

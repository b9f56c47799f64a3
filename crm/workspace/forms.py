from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from crm.staff.models import StaffUser
from storefront.extensions import db
from storefront.form_fields import CalendarDayField


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Note"),
        validators=[
            DataRequired(message=_l("Write the note.")),
            Length(max=5000, message=_l("A note is at most 5000 characters.")),
        ],
    )


class TaskForm(FlaskForm):
    title = StringField(
        _l("Task"),
        validators=[
            DataRequired(message=_l("Say what is to be done.")),
            Length(max=200, message=_l("A task title is at most 200 characters.")),
        ],
    )
    due_date = CalendarDayField(_l("Due date (Moscow)"), validators=[InputRequired(message=_l("Choose the due date."))])
    due_time = TimeField(_l("Due time (Moscow)"), validators=[InputRequired(message=_l("Choose the due time."))])
    assignee = SelectField(_l("Assignee"), coerce=int, validators=[InputRequired(message=_l("Choose who does it."))])


def task_form_for(default_assignee: int, formdata: object = None) -> TaskForm:
    """The task form with every active staff member to choose from (the signed-in one by default)."""
    form = TaskForm(formdata=formdata) if formdata is not None else TaskForm(formdata=None)
    staff = db.session.scalars(select(StaffUser).where(StaffUser.is_active.is_(True)).order_by(StaffUser.email))
    form.assignee.choices = [SelectChoice(member.id, member.display_name) for member in staff]
    if formdata is None:
        form.assignee.data = default_assignee
    return form


class TaskCloseForm(FlaskForm):
    status = SelectField(
        _l("Close as"),
        choices=[SelectChoice("done", _l("Done")), SelectChoice("canceled", _l("Canceled"))],
        validators=[InputRequired(message=_l("Mark the task done or canceled."))],
    )


def task_status_label(status: str) -> str:
    return {"open": _("Open"), "done": _("Done"), "canceled": _("Canceled")}.get(status, status)

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from storefront.form_fields import CalendarDayField


class AuditFilterForm(FlaskForm):
    """Query-string filters (GET, so no CSRF)."""

    class Meta:
        csrf = False

    staff_email = StringField(_l("Staff email"), validators=[Optional(), Length(max=254)])
    #: Choices (every declared action and any other stored one, by its label) are set by the view.
    action = SelectField(_l("Action"), choices=[], default="")
    target_type = StringField(_l("Target type"), validators=[Optional(), Length(max=40)])
    target_id = StringField(_l("Target id"), validators=[Optional(), Length(max=40)])
    date_from = CalendarDayField(_l("From"), validators=[Optional()])
    date_to = CalendarDayField(_l("To"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)

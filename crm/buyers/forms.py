from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class BuyerFilterForm(FlaskForm):
    """Query-string filters (GET, so no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, email, phone or INN"), validators=[Optional(), Length(max=200)])
    tier = IntegerField(_l("Tier"), validators=[Optional(), NumberRange(min=1)])
    manager = IntegerField(_l("Manager"), validators=[Optional(), NumberRange(min=1)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class AssignForm(FlaskForm):
    """Bulk assignment from the list: ticked buyers → one manager (empty value: unassign)."""

    buyer_ids = SelectMultipleField(coerce=int, validate_choice=False, validators=[DataRequired()])
    manager = SelectField(_l("Assign to"), coerce=str, validate_choice=False)

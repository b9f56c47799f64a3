from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from storefront.form_fields import CalendarDayField


class SynonymForm(FlaskForm):
    word = StringField(_l("Word buyers type"), validators=[DataRequired(), Length(max=100)])
    alternatives = TextAreaField(
        _l("Alternatives: words or phrases of the catalogue, one per line or separated by commas"),
        validators=[Length(max=3000)],
    )
    is_disabled = BooleanField(_l("Switch this word's synonyms off (the built-in entry too)"))


class DeleteSynonymForm(FlaskForm):
    confirm = BooleanField(_l("Yes, delete"), validators=[DataRequired()])


#: Longest period the demand page adds up (it reads one row per query and day).
MAX_DEMAND_DAYS = 366


class DemandPeriodForm(FlaskForm):
    """The period of the demand page and its export (Moscow days, both ends included); query-string form."""

    class Meta:
        csrf = False

    date_from = CalendarDayField(_l("From"), validators=[Optional()])
    date_to = CalendarDayField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field: CalendarDayField) -> None:
        start, end = self.date_from.data, field.data
        if start and end:
            if end < start:
                raise ValidationError(_l("The period must end after it starts."))
            if (end - start).days >= MAX_DEMAND_DAYS:
                raise ValidationError(_l("Choose a period of at most a year."))

    def period(self, today: date, default_days: int = 30) -> tuple[date, date]:
        """The chosen days; by default the last ``default_days`` up to today (Moscow)."""
        end = self.date_to.data or today
        start = self.date_from.data or end - timedelta(days=default_days - 1)
        return start, end

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.validators import Optional

from storefront.form_fields import CalendarDayField


class ReconciliationPeriodForm(FlaskForm):
    """The акт сверки's Moscow days (both ends included, any length); query-string form."""

    class Meta:
        csrf = False

    date_from = CalendarDayField(_l("From"), validators=[Optional()])
    date_to = CalendarDayField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field: CalendarDayField) -> None:
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError(_l("The period must end after it starts."))

    def period(self, today: date) -> tuple[date, date]:
        """The chosen days; by default from the first of January to today (Moscow)."""
        end = self.date_to.data or today
        start = self.date_from.data or end.replace(month=1, day=1)
        if start > end:  # only the start typed, after today: a one-day period
            end = start
        return start, end

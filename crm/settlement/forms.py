from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from crm.search.forms import DemandPeriodForm


class StatementPeriodForm(DemandPeriodForm):
    """The statement's Moscow days (both ends included, at most a year); query-string form."""


class CreatePayoutForm(FlaskForm):
    confirm = BooleanField(_l("Gather every supplier payable due into a new batch"), validators=[DataRequired()])


class MarkPaidForm(FlaskForm):
    bank_reference = StringField(
        _l("Bank reference of the payment order"),
        validators=[DataRequired(_l("Enter the bank's reference.")), Length(max=64)],
    )


class CancelBatchForm(FlaskForm):
    reason = StringField(
        _l("Why the batch is cancelled"),
        validators=[DataRequired(_l("Say why the batch is cancelled.")), Length(max=200)],
    )

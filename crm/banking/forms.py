from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, Length


class StatementUploadForm(FlaskForm):
    file = FileField(
        _l("Statement file from the bank (1C client-bank exchange, .txt)"),
        validators=[FileRequired(message=_l("Choose a file."))],
    )


class MatchForm(FlaskForm):
    order_number = StringField(
        _l("Order number (several orders paid by one payment: separate them with commas)"),
        validators=[InputRequired(_l("Enter the order number, like MK-2026-000123.")), Length(max=40)],
    )
    accept_difference = BooleanField(_l("The amount differs from the order total: count the payment anyway"))
    note = StringField(_l("Note (optional)"), validators=[Length(max=500)])


class NotOursForm(FlaskForm):
    note = StringField(
        _l("Why it is not ours"),
        validators=[
            InputRequired(_l("Say why the payment is not ours (e.g. returned to the payer).")),
            Length(max=500),
        ],
    )

"""The buyer's erasure confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length


class ErasureForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=200)],
    )
    confirm = BooleanField(
        _l("I understand that my account will be closed and my personal data erased for good."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from crm.staff.services import MIN_PASSWORD_LENGTH


class StaffLoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class EmptyForm(FlaskForm):
    """CSRF only (sign out)."""


class ConfirmForm(FlaskForm):
    """A one-click action that changes something (sign out everywhere, reset the second factor): the button sends
    ``confirm=1`` (``ConfirmForm.for_page()``), so an empty POST is refused."""

    confirm = HiddenField(validators=[DataRequired()])

    @classmethod
    def for_page(cls) -> ConfirmForm:
        return cls(formdata=None, data={"confirm": "1"})


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from the app or a recovery code"),
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=32)],
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("Code from the app"), validators=[DataRequired(message=_l("Enter the code.")), Length(max=16)]
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=256,
                message=_l("Use at least %(num)s characters.", num=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    repeat = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
    )

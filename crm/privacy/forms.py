from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from storefront.legal.services import MAX_BODY_LENGTH


class ErasureForm(FlaskForm):
    reason = StringField(
        _l("Reason (the buyer's request, its date and channel)"),
        validators=[
            DataRequired(message=_l("Write why the data are erased.")),
            Length(min=5, max=300, message=_l("The reason takes from 5 to 300 characters.")),
        ],
    )
    confirm = BooleanField(
        _l("Erase for good: the buyer's name, contacts and addresses cannot be restored"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class DocumentForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Enter the title.")), Length(max=200)],
    )
    body = TextAreaField(
        _l("Text"),
        validators=[
            DataRequired(message=_l("Enter the text.")),
            Length(max=MAX_BODY_LENGTH, message=_l("The text is too long.")),
        ],
    )

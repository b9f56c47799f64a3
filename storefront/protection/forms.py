"""The buyer's dispute form and the thread's reply form. The lines' quantities (``line-<id>``) are read by the
view, checked by ``services.open_dispute``; photos are checked by ``photos.check_photo``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from storefront.protection.services import MAX_TEXT


class DisputeForm(FlaskForm):
    reason = SelectField(_l("What is wrong"), choices=[], validators=[DataRequired(message=_l("Choose a reason."))])
    description = TextAreaField(
        _l("Describe the problem"),
        validators=[
            DataRequired(message=_l("Describe what is wrong.")),
            Length(max=MAX_TEXT, message=_l("At most %(max)d characters.")),
        ],
    )
    photos = MultipleFileField(_l("Photos (JPEG, PNG or WebP, up to 10 files of at most 10 MB)"))


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Message"), validators=[Optional(), Length(max=MAX_TEXT, message=_l("At most %(max)d characters."))]
    )
    photos = MultipleFileField(_l("Photos (JPEG, PNG or WebP, up to 10 files of at most 10 MB)"))

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, Length


class SegmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    #: The builder's JSON (``static/crm/segments.js``); the server validates it (``parse_definition``).
    definition = HiddenField(_l("Conditions"), validators=[DataRequired()])


class DeleteSegmentForm(FlaskForm):
    confirm = BooleanField(_l("Yes, delete this segment"), validators=[DataRequired()])

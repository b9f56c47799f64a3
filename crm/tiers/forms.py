from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from storefront.form_fields import AmountField, CalendarDayField


class TierForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=32),
            Regexp(r"^[a-z0-9_-]+$", message=_l("Use lower-case Latin letters, digits, - and _.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    threshold_amount = AmountField(_l("12-month spend from, ₽"), validators=[InputRequired()])
    discount_percent = AmountField(_l("Discount, percent"), validators=[InputRequired()], maximum=Decimal("50"))
    free_shipping = BooleanField(_l("Free shipping"))
    dedicated_manager = BooleanField(_l("Dedicated manager"))
    perks = TextAreaField(_l("Perks"), validators=[Length(max=2000)])


class ManualTierForm(FlaskForm):
    tier = SelectField(_l("Tier"), coerce=int, validators=[InputRequired()])
    until = CalendarDayField(_l("Holds until (inclusive)"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp


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
    threshold_amount = DecimalField(
        _l("12-month spend from, ₽"), places=2, validators=[NumberRange(min=Decimal("0"), max=Decimal("1e12"))]
    )
    discount_percent = DecimalField(
        _l("Discount, percent"), places=2, validators=[NumberRange(min=Decimal("0"), max=Decimal("50"))]
    )
    free_shipping = BooleanField(_l("Free shipping"))
    dedicated_manager = BooleanField(_l("Dedicated manager"))
    perks = TextAreaField(_l("Perks"), validators=[Length(max=2000)])


class ManualTierForm(FlaskForm):
    tier = SelectField(_l("Tier"), coerce=int, validators=[InputRequired()])
    until = DateField(_l("Holds until (inclusive)"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp


class PromoForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(min=3, max=40),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Use Latin letters, digits, - and _.")),
        ],
    )
    kind = RadioField(
        _l("Discount"),
        choices=[SelectChoice("percent", _l("percent")), SelectChoice("fixed", _l("fixed, ₽"))],
        default="percent",
    )
    percent = DecimalField(
        _l("Percent"), places=2, validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("100"))]
    )
    fixed_amount = DecimalField(
        _l("Amount, ₽"), places=2, validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("10000000"))]
    )
    min_order_amount = DecimalField(
        _l("Minimum order, ₽"),
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("0"), max=Decimal("1000000000"))],
    )
    starts_at = DateTimeLocalField(_l("Valid from (Moscow time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Valid until (Moscow time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    usage_limit = IntegerField(_l("Uses in total"), validators=[Optional(), NumberRange(min=1, max=10_000_000)])
    per_buyer_limit = IntegerField(_l("Uses per buyer"), validators=[Optional(), NumberRange(min=1, max=1000)])
    tiers = SelectMultipleField(_l("Only for tiers (none selected: everyone)"), choices=[])


class DeactivateForm(FlaskForm):
    confirm = BooleanField(_l("Yes, switch it off"), validators=[DataRequired()])

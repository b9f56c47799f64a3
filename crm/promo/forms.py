from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from storefront.form_fields import AmountField, MoscowDateTimeField


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
    percent = AmountField(_l("Percent"), minimum=Decimal("0.01"), maximum=Decimal("100"))
    fixed_amount = AmountField(_l("Amount, ₽"), minimum=Decimal("0.01"), maximum=Decimal("10000000"))
    min_order_amount = AmountField(_l("Minimum order, ₽"), maximum=Decimal("1000000000"))
    starts_at = MoscowDateTimeField(_l("Valid from (Moscow time)"), validators=[Optional()])
    ends_at = MoscowDateTimeField(_l("Valid until (Moscow time)"), validators=[Optional()])
    usage_limit = IntegerField(_l("Uses in total"), validators=[Optional(), NumberRange(min=1, max=10_000_000)])
    per_buyer_limit = IntegerField(_l("Uses per buyer"), validators=[Optional(), NumberRange(min=1, max=1000)])
    tiers = SelectMultipleField(_l("Only for tiers (none selected: everyone)"), choices=[])


class DeactivateForm(FlaskForm):
    confirm = BooleanField(_l("Yes, switch it off"), validators=[DataRequired()])

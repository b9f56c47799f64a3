from __future__ import annotations

import secrets
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from storefront.money import MoneyError, parse_amount, quantize_kopecks


class RefundForm(FlaskForm):
    """A refund by staff. ``token`` is new on every rendered form: a double submit carries the same one, so
    it is the refund's idempotence key and the second submit returns the first refund."""

    mode = RadioField(
        _l("What to refund"),
        choices=[SelectChoice("full", _l("Everything left")), SelectChoice("partial", _l("Part of it"))],
        default="partial",
        validators=[DataRequired(message=_l("Choose a full or a partial refund."))],
    )
    amount = StringField(_l("Amount, ₽"), validators=[Length(max=20)])
    reason = StringField(
        _l("Reason"), validators=[DataRequired(message=_l("Say why the money is returned.")), Length(max=200)]
    )
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])

    #: The parsed amount (None: everything left), set by validation.
    value: Decimal | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not self.token.data:
            self.token.data = secrets.token_hex(16)

    def validate_amount(self, field: StringField) -> None:
        if self.mode.data != "partial":
            self.value = None
            return
        text = (field.data or "").strip()
        if not text:
            raise ValidationError(_l("Enter the amount to refund, like 1 234,50."))
        try:
            value = parse_amount(text)
        except MoneyError:
            raise ValidationError(_l("Not an amount. Write it like 1 234,50.")) from None
        # The bound keeps quantize within Decimal's precision; no order comes near it.
        if value <= 0 or value >= Decimal("1e12") or value != quantize_kopecks(value):
            raise ValidationError(_l("The amount must be greater than zero and in whole kopecks, like 1 234,50."))
        self.value = value

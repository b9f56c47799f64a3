"""The desk's forms: a message (reply or internal note) and a decision."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from crm.orders.forms import refund_amount
from storefront.protection.models import Decision
from storefront.protection.services import MAX_TEXT


class StaffMessageForm(FlaskForm):
    body = TextAreaField(
        _l("Message"), validators=[Optional(), Length(max=MAX_TEXT, message=_l("At most %(max)d characters."))]
    )
    internal = BooleanField(_l("Internal note (the buyer does not see it)"))
    photos = MultipleFileField(_l("Attachments (JPEG, PNG or WebP photos)"))


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice(Decision.FULL_REFUND.value, _l("Full refund (everything left of the payment)")),
            SelectChoice(Decision.PARTIAL_REFUND.value, _l("Partial refund")),
            SelectChoice(Decision.RETURN_REFUND.value, _l("Return the goods, then refund")),
            SelectChoice(Decision.REJECTED.value, _l("Reject")),
        ],
        validators=[DataRequired(message=_l("Choose a decision."))],
    )
    amount = StringField(_l("Refund amount, ₽ (partial refund or return)"), validators=[Length(max=20)])
    note = TextAreaField(
        _l("Explanation for the buyer (required for a rejection)"),
        validators=[Length(max=MAX_TEXT, message=_l("At most %(max)d characters."))],
    )

    #: The parsed amount (None: not given), set by validation.
    value: Decimal | None = None

    def validate_amount(self, field: StringField) -> None:
        self.value = None
        if self.decision.data == Decision.PARTIAL_REFUND or (
            self.decision.data == Decision.RETURN_REFUND and (field.data or "").strip()
        ):  # a return without an amount refunds everything left
            self.value = refund_amount(field.data or "")


class ActionForm(FlaskForm):
    """A one-button action (the CSRF token only)."""

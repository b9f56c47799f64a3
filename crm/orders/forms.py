from __future__ import annotations

import secrets
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Regexp

from storefront.money import MoneyError, parse_amount, quantize_kopecks
from storefront.order.models import CANCEL_REASONS, OrderStatus

#: The fulfilment steps staff take with one button (shipping is a shipment; cancel has its own form).
STEP_ACTIONS = (OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.DELIVERED)
OTHER_REASON = "other"


class StatusForm(FlaskForm):
    """One fulfilment step: confirm (the supplier confirmed), packed, delivered (shipped outside tracking)."""

    to = HiddenField(validators=[DataRequired(), AnyOf([str(step) for step in STEP_ACTIONS])])


class CancelForm(FlaskForm):
    """Cancel with a reason: a common one from the list, or the staff member's own words."""

    reason = SelectField(
        _l("Reason"),
        choices=[
            SelectChoice("", _l("Choose a reason")),
            *(SelectChoice(code, code) for code in CANCEL_REASONS),
            SelectChoice(OTHER_REASON, _l("Other")),
        ],
        validators=[
            DataRequired(message=_l("Choose why the order is canceled.")),
            AnyOf([*CANCEL_REASONS, OTHER_REASON], message=_l("Choose why the order is canceled.")),
        ],
    )
    details = StringField(_l("In your own words"), validators=[Length(max=300)])

    def validate_details(self, field: StringField) -> None:
        if self.reason.data == OTHER_REASON and not (field.data or "").strip():
            raise ValidationError(_l("Say in your own words why the order is canceled."))

    @property
    def note(self) -> str:
        """What the cancel step records: the reason code, or the own words for «Other»."""
        if self.reason.data == OTHER_REASON:
            return (self.details.data or "").strip()
        return str(self.reason.data)


class OrderActionForm(FlaskForm):
    """A one-button action on the order named in the form (a POST with nothing in it is refused)."""

    number = HiddenField(validators=[DataRequired()])


class RetryRefundForm(OrderActionForm):
    """Make (or finish) the refund of a canceled paid order again: the same refund, never a second one."""


class RevokeLinksForm(OrderActionForm):
    """Revoke every guest link to the order sent so far (``order.services.revoke_guest_links``)."""


def refund_amount(raw: str) -> Decimal:
    """A refund amount typed by staff («1 234,50»), or ``ValidationError`` in Russian (also the dispute desk's)."""
    text = raw.strip()
    if not text:
        raise ValidationError(_l("Enter the amount to refund, like 1 234,50."))
    try:
        value = parse_amount(text)
    except MoneyError:
        raise ValidationError(_l("Not an amount. Write it like 1 234,50.")) from None
    # The bound keeps quantize within Decimal's precision; no order comes near it.
    if value <= 0 or value >= Decimal("1e12") or value != quantize_kopecks(value):
        raise ValidationError(_l("The amount must be greater than zero and in whole kopecks, like 1 234,50."))
    return value


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
    #: "1" once staff have seen the confirmation (the amount and what will remain refundable).
    confirm = HiddenField()
    #: The order lines the refund is for (none: the whole order); the view sets the choices from the order. The
    #: ledger then takes it from those lines' suppliers only.
    lines = SelectMultipleField(
        _l("Only for these lines (none ticked: the whole order)"),
        coerce=int,
        choices=[],
        validate_choice=True,
        invalid_value_message=_l("Tick lines of this order."),
        invalid_choice_message=_l("Tick lines of this order."),
    )

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
        self.value = refund_amount(field.data or "")

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from crm.reorder.models import STATUS_LABELS
from storefront.account.identifiers import InvalidIdentifier, normalize_telegram, normalize_whatsapp
from storefront.form_fields import AmountField

#: ?sort= values → what the list orders by.
SORTS = ("name", "spend", "last_order", "registered")


#: A 12-month spend bound in roubles as Russians type it («300 000», «1 200 000,50»).
SPEND_MESSAGES = {
    "message": _l("Type an amount in roubles, for example 300 000."),
    "range_message": _l("The amount must be between 0 and 1 000 000 000 000 ₽."),
}


class BuyerFilterForm(FlaskForm):
    """Query-string filters (GET, so no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, email, phone or INN"), validators=[Optional(), Length(max=200)])
    tier = IntegerField(_l("Tier"), validators=[Optional(), NumberRange(min=1)])
    manager = IntegerField(_l("Manager"), validators=[Optional(), NumberRange(min=1)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=8)])
    spend_min = AmountField(_l("12-month spend from, ₽"), **SPEND_MESSAGES)
    spend_max = AmountField(_l("12-month spend up to, ₽"), **SPEND_MESSAGES)
    inactive_days = IntegerField(
        _l("No order for, days"),
        validators=[Optional(), NumberRange(min=0, max=36500, message=_l("A number of days from 0 to 36 500."))],
    )
    never_ordered = BooleanField(_l("Never ordered"))
    kind = SelectField(
        _l("Buyer type"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("person", _l("Person")),
            SelectChoice("company", _l("Company")),
        ],
        validators=[Optional()],
        validate_choice=False,
    )
    unassigned_vip = BooleanField(_l("Only VIP buyers without a manager"))
    reorder_status = SelectField(
        _l("Reorder status"),
        choices=[
            SelectChoice("", _l("All")),
            *(SelectChoice(status.value, label) for status, label in STATUS_LABELS.items()),
        ],
        validators=[Optional()],
        validate_choice=False,
    )
    sort = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice("name", _l("Name")),
            SelectChoice("spend", _l("12-month spend")),
            SelectChoice("last_order", _l("Last order")),
            SelectChoice("registered", _l("Registration date")),
        ],
        default="name",
        validate_choice=False,
    )
    order = SelectField(
        _l("Order"),
        choices=[SelectChoice("asc", _l("Ascending")), SelectChoice("desc", _l("Descending"))],
        default="asc",
        validate_choice=False,
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)

    def validate_kind(self, field: SelectField) -> None:
        if field.data not in ("", "person", "company", None):
            raise ValidationError(_l("Choose a person or a company."))

    def validate_reorder_status(self, field: SelectField) -> None:
        if field.data and field.data not in STATUS_LABELS:
            raise ValidationError(_l("Unknown reorder status."))

    def validate_sort(self, field: SelectField) -> None:
        if field.data not in SORTS:
            raise ValidationError(_l("Sort by name, spend, last order or registration date."))

    def validate_order(self, field: SelectField) -> None:
        if field.data not in ("asc", "desc"):
            raise ValidationError(_l("The order is ascending or descending."))

    def validate_region(self, field: StringField) -> None:
        from storefront.shipping.regions import REGIONS

        if field.data and field.data not in REGIONS:
            raise ValidationError(_l("Unknown region."))

    def validate_spend_max(self, field: AmountField) -> None:
        if field.data is not None and self.spend_min.data is not None and field.data < self.spend_min.data:
            raise ValidationError(_l("The upper amount must not be below the lower one."))


class AssignForm(FlaskForm):
    """Bulk assignment from the list: ticked buyers → one manager (empty value: unassign)."""

    buyer_ids = SelectMultipleField(coerce=int, validate_choice=False, validators=[DataRequired()])
    manager = SelectField(_l("Assign to"), coerce=str, validate_choice=False)


class MessengersForm(FlaskForm):
    """The buyer's Telegram and WhatsApp, typed on the card by their manager (empty: the buyer gave none)."""

    telegram = StringField(_l("Telegram"), validators=[Optional(), Length(max=80)])
    whatsapp = StringField(_l("WhatsApp"), validators=[Optional(), Length(max=40)])

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in (self.telegram, self.whatsapp):
            if not field.raw_data:  # not sent at all (an empty box is sent as ""): not the card's form
                field.errors = [*field.errors, _l("Send the form from the buyer card.")]
                valid = False
        return valid

    def validate_telegram(self, field: StringField) -> None:
        field.data = _normalised(normalize_telegram, field.data)

    def validate_whatsapp(self, field: StringField) -> None:
        field.data = _normalised(normalize_whatsapp, field.data)


def _normalised(normalize: Callable[[str], str], value: str | None) -> str | None:
    if not (value or "").strip():
        return None
    try:
        return normalize(value or "")
    except InvalidIdentifier as error:
        raise ValidationError(str(error)) from error

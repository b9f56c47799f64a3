"""The order list's query-string filters: every bad value is a Russian message on its field, never a 500."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from crm.orders.listing import AWAITING_PAYMENT, SORTS
from storefront.form_fields import CalendarDayField
from storefront.order.models import OrderStatus, PaymentStatus

#: Ids are database integers: anything above fits no row (and ≥ 2**63 no column).
MAX_ID = 2**31 - 1


class WholeNumberField(IntegerField):
    """An integer with a Russian message for «abc», «1e3» or a NUL byte (WTForms' own is English)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        raw = str(valuelist[0]).strip()
        if not raw.isascii() or not raw.isdigit():
            raise ValueError(_l("Type a whole number."))
        self.data = int(raw)


class OrderFilterForm(FlaskForm):
    """Query-string filters (GET, so no CSRF)."""

    class Meta:
        csrf = False

    status = StringField(_l("Order status"), validators=[Optional(), Length(max=24)])
    payment_status = SelectField(
        _l("Payment"),
        choices=[SelectChoice("", _l("All"))],
        validators=[Optional()],
        validate_choice=False,
    )
    q = StringField(_l("Buyer, company, INN, e-mail or order number"), validators=[Optional(), Length(max=200)])
    placed_from = CalendarDayField(_l("Placed from"))
    placed_to = CalendarDayField(_l("Placed until"))
    paid_from = CalendarDayField(_l("Paid from"))
    paid_to = CalendarDayField(_l("Paid until"))
    # Empty: every manager; an account manager lands with their own id (a filter they can clear).
    manager = StringField(_l("Manager"), validators=[Optional(), Length(max=12)])
    tier = WholeNumberField(_l("Tier"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    shipping = WholeNumberField(_l("Shipping method"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    unshipped_days = WholeNumberField(
        _l("Paid, not shipped for more than, days"),
        validators=[Optional(), NumberRange(min=0, max=3650, message=_l("A number of days from 0 to 3 650."))],
    )
    sort = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice("placed", _l("Placed")),
            SelectChoice("paid", _l("Paid")),
            SelectChoice("total", _l("Total")),
            SelectChoice("number", _l("Order number")),
        ],
        default="placed",
        validate_choice=False,
    )
    order = SelectField(
        _l("Sort order"),
        choices=[
            SelectChoice("desc", _l("Newest / largest first")),
            SelectChoice("asc", _l("Oldest / smallest first")),
        ],
        default="desc",
        validate_choice=False,
    )
    page = WholeNumberField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.payment_status.choices = [
            SelectChoice("", _l("All")),
            *(SelectChoice(status.value, status.value) for status in PaymentStatus),
        ]

    def validate_status(self, field: StringField) -> None:
        if field.data and field.data not in (AWAITING_PAYMENT, *OrderStatus):
            raise ValidationError(_l("Unknown order status."))

    def validate_payment_status(self, field: SelectField) -> None:
        if field.data and field.data not in tuple(PaymentStatus):
            raise ValidationError(_l("Unknown payment status."))

    def validate_q(self, field: StringField) -> None:
        if field.data and any(ord(ch) < 32 for ch in field.data):
            raise ValidationError(_l("The search text has characters that cannot be typed."))

    def validate_manager(self, field: StringField) -> None:
        data = (field.data or "").strip()
        if data and (not data.isascii() or not data.isdigit() or not 1 <= int(data) <= MAX_ID):
            raise ValidationError(_l("Unknown manager."))

    def validate_sort(self, field: SelectField) -> None:
        if field.data not in SORTS:
            raise ValidationError(_l("Sort by placed, paid, total or order number."))

    def validate_order(self, field: SelectField) -> None:
        if field.data not in ("asc", "desc"):
            raise ValidationError(_l("The order is ascending or descending."))

    def validate_placed_to(self, field: CalendarDayField) -> None:
        if field.data and self.placed_from.data and field.data < self.placed_from.data:
            raise ValidationError(_l("The end date must not be before the start date."))

    def validate_paid_to(self, field: CalendarDayField) -> None:
        if field.data and self.paid_from.data and field.data < self.paid_from.data:
            raise ValidationError(_l("The end date must not be before the start date."))

    @property
    def manager_id(self) -> int | None:
        data = (self.manager.data or "").strip()
        return int(data) if data else None

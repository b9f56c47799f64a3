"""The one-page checkout form: contact (and company), address, shipping method, promo code, consents."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from storefront.account.consents import MARKETING_TEXT, PERSONAL_DATA_TEXT
from storefront.account.forms import AddressFieldsMixin, CompanyFieldsMixin, Normalized
from storefront.account.identifiers import normalize_email, normalize_phone
from storefront.order.holds import PaymentMethod, offered_methods


class PaymentMethodMixin:
    """«Как оплатить»: online, or by invoice for a company or sole trader when our bank requisites are configured
    (``bank_transfers``). Used by the checkout and by a quote's «Оформить заказ»."""

    payment_method = RadioField(
        _l("How to pay"),
        choices=[
            SelectChoice(PaymentMethod.CARD.value, _l("Online: by card or through SBP")),
            SelectChoice(PaymentMethod.BANK_TRANSFER.value, _l("By invoice (bank transfer)")),
        ],
        default=PaymentMethod.CARD.value,
        # Checked by ``payment_method_offered`` against what this buyer is offered (a ``validate_payment_method``
        # would be run by WTForms as the field's validator, without the buyer's kind).
        validate_choice=False,
    )

    def __init__(self, *args: Any, bank_transfers: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bank_transfers = bank_transfers
        if not bank_transfers:
            self.payment_method.choices = [SelectChoice(PaymentMethod.CARD.value, _l("Online: by card or through SBP"))]

    def chosen_payment_method(self) -> PaymentMethod | None:
        """The method chosen (online when none was sent), or None for a value that is no method at all."""
        try:
            return PaymentMethod(self.payment_method.data or PaymentMethod.CARD.value)
        except ValueError:
            return None

    def payment_method_offered(self, *, company: bool) -> bool:
        if self.chosen_payment_method() in offered_methods(company=company, bank_transfers=self.bank_transfers):
            return True
        self.payment_method.errors = [
            _l("Payment by invoice is for companies and sole proprietors: choose online payment or buy as one.")
        ]
        return False


class CheckoutForm(PaymentMethodMixin, CompanyFieldsMixin, AddressFieldsMixin, FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Normalized(normalize_email)])
    name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Normalized(normalize_phone)])
    shipping_method = IntegerField(_l("Shipping"), validators=[Optional()])
    #: Required (by ``place_order``) only for a method that delivers to a pickup point.
    pickup_point = StringField(_l("Pickup point"), validators=[Optional(), Length(max=20)])
    promo_code = StringField(_l("Promo code"), validators=[Optional(), Length(max=40)])
    consent_personal_data = BooleanField(PERSONAL_DATA_TEXT)
    consent_marketing = BooleanField(MARKETING_TEXT, default=False)
    save_address = BooleanField(_l("Save this address in my account"), default=False)
    placement_token = HiddenField(validators=[InputRequired(), Length(min=16, max=64)])
    cart_fingerprint = HiddenField()

    def __init__(self, *args: Any, needs_consent: bool = True, bank_transfers: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, bank_transfers=bank_transfers, **kwargs)
        self.fill_region_choices()
        self.needs_consent = needs_consent

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        ok = self.validate_company() and ok
        if self.needs_consent and not self.consent_personal_data.data:
            self.consent_personal_data.errors = [
                *self.consent_personal_data.errors,
                _l("Without this consent we cannot create an account or take an order."),
            ]
            ok = False
        ok = self.payment_method_offered(company=self.kind.data == "company") and ok
        if not self.shipping_method.data and not self.shipping_method.errors:
            self.shipping_method.errors = [_l("Choose a shipping method.")]
            ok = False
        return ok

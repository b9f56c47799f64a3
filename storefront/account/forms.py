"""Account forms. Validators normalise what they check (email lower case, phone E.164, INN compacted)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, ValidationError

from storefront.account.consents import MARKETING_TEXT, PERSONAL_DATA_TEXT
from storefront.account.identifiers import (
    InvalidIdentifier,
    normalize_email,
    normalize_inn,
    normalize_kpp,
    normalize_ogrn,
    normalize_phone,
    normalize_postcode,
    normalize_telegram,
    normalize_whatsapp,
)
from storefront.account.services import MIN_PASSWORD_LENGTH, AddressData, CompanyDetails
from storefront.shipping.regions import REGIONS, region_choices


class Normalized:
    """Run a normaliser from ``account.identifiers``; store its result, or show its message."""

    def __init__(self, normaliser: Callable[[str], str]) -> None:
        self.normaliser = normaliser

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if not field.data:
            return
        try:
            field.data = self.normaliser(field.data)
        except InvalidIdentifier as exc:
            raise ValidationError(str(exc)) from exc


KIND_CHOICES = [SelectChoice("person", _l("Individual")), SelectChoice("company", _l("Company or sole proprietor"))]


class CompanyFieldsMixin:
    """Person or company; company fields are required (and checked) only for companies."""

    kind = RadioField(_l("I buy as"), choices=KIND_CHOICES, default="person", validators=[InputRequired()])
    company_name = StringField(_l("Company name"), validators=[Optional(), Length(max=300)])
    inn = StringField(_l("INN"), validators=[Optional(), Normalized(normalize_inn)])
    kpp = StringField(_l("KPP"), validators=[Optional(), Normalized(normalize_kpp)])
    ogrn = StringField(_l("OGRN (optional)"), validators=[Optional(), Normalized(normalize_ogrn)])
    legal_address = StringField(_l("Legal address"), validators=[Optional(), Length(max=500)])

    def validate_company(self) -> bool:
        form: Any = self
        if form.kind.data != "company":
            return True
        ok = True
        for field in (form.company_name, form.inn, form.legal_address):
            if not field.data or not str(field.data).strip():
                field.errors = [*field.errors, _l("Required for a company.")]
                ok = False
        inn = form.inn.data or ""
        if len(inn) == 10 and not form.kpp.data and not form.kpp.errors:
            form.kpp.errors = [*form.kpp.errors, _l("An organisation (10-digit INN) must give its KPP.")]
            ok = False
        if len(inn) == 12 and form.kpp.data:
            form.kpp.errors = [*form.kpp.errors, _l("A sole proprietor (12-digit INN) has no KPP: leave it empty.")]
            ok = False
        return ok

    def company_details(self) -> CompanyDetails | None:
        form: Any = self
        if form.kind.data != "company":
            return None
        return CompanyDetails(
            company_name=form.company_name.data,
            inn=form.inn.data,
            kpp=form.kpp.data or None,
            ogrn=form.ogrn.data or None,
            legal_address=form.legal_address.data,
        )


class RegistrationForm(CompanyFieldsMixin, FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Normalized(normalize_email)])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Normalized(normalize_phone)])
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("The password needs at least 8 characters.")),
        ],
    )
    password_again = PasswordField(
        _l("Password again"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))]
    )
    consent_personal_data = BooleanField(
        PERSONAL_DATA_TEXT,
        validators=[DataRequired(message=_l("Without this consent we cannot create an account or take an order."))],
    )
    consent_marketing = BooleanField(MARKETING_TEXT, default=False)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        return self.validate_company() and ok

    def buyer_fields(self) -> dict[str, Any]:
        """The validated values ``account.services.register_buyer`` takes (the consent is the caller's)."""
        return {
            "email": self.email.data,
            "password": self.password.data,
            "name": self.name.data,
            "phone": self.phone.data,
            "company": self.company_details(),
        }


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me"), default=False)


class ProfileForm(CompanyFieldsMixin, FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Normalized(normalize_phone)])
    #: Optional: where the account manager may write to the buyer (links on the CRM card).
    telegram = StringField(
        _l("Telegram username"), validators=[Optional(), Length(max=80), Normalized(normalize_telegram)]
    )
    whatsapp = StringField(
        _l("WhatsApp number"), validators=[Optional(), Length(max=40), Normalized(normalize_whatsapp)]
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        return self.validate_company() and ok


class AddressFieldsMixin:
    region_code = SelectField(_l("Region"), choices=[], validators=[DataRequired()])
    city = StringField(_l("City or town"), validators=[DataRequired(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(), Normalized(normalize_postcode)])
    street = StringField(_l("Street, house, flat or office"), validators=[DataRequired(), Length(max=500)])
    recipient = StringField(_l("Recipient"), validators=[DataRequired(), Length(max=200)])
    recipient_phone = StringField(_l("Recipient's phone"), validators=[DataRequired(), Normalized(normalize_phone)])

    def fill_region_choices(self) -> None:
        form: Any = self
        form.region_code.choices = [SelectChoice("", _l("Choose a region"))] + [
            SelectChoice(code, name) for code, name in region_choices()
        ]

    def validate_region_code(self, field: Field) -> None:
        if field.data not in REGIONS:
            raise ValidationError(_l("Choose a region from the list."))

    def address_data(self) -> AddressData:
        form: Any = self
        return AddressData(
            region_code=form.region_code.data,
            city=form.city.data.strip(),
            postcode=form.postcode.data,
            street=form.street.data.strip(),
            recipient=form.recipient.data.strip(),
            phone=form.recipient_phone.data,
        )


class AddressForm(AddressFieldsMixin, FlaskForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fill_region_choices()


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Normalized(normalize_email)])


class OrderLinkRequestForm(PasswordResetRequestForm):
    """A guest whose link expired asks for a new one: the order's e-mail address."""


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("The password needs at least 8 characters.")),
        ],
    )
    password_again = PasswordField(
        _l("Password again"), validators=[DataRequired(), EqualTo("password", message=_l("Passwords do not match."))]
    )


class EmptyForm(FlaskForm):
    """A CSRF-protected form with no fields, for one-click actions."""

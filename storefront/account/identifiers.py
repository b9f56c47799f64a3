"""Checks for what buyers type: INN, KPP, OGRN, phone, postcode, email. Pure functions.

Each returns the normalised value or raises ``InvalidIdentifier`` whose message is a lazy
gettext string: it reads in the buyer's language when shown.
"""

from __future__ import annotations

import re

import phonenumbers
from flask_babel import lazy_gettext as _l
from stdnum.exceptions import ValidationError
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

KPP_RE = re.compile(r"^\d{4}[0-9A-Z]{2}\d{3}$")
POSTCODE_RE = re.compile(r"^[1-6]\d{5}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class InvalidIdentifier(ValueError):
    """The value is not a valid identifier; ``str(error)`` says what to fix."""


def normalize_email(value: str) -> str:
    email = (value or "").strip().lower()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise InvalidIdentifier(_l("Enter an email address like name@example.ru."))
    return email


def normalize_phone(value: str) -> str:
    """A Russian phone number in E.164 (+79161234567); '8 916…' and '+7 (916)…' are accepted."""
    try:
        number = phonenumbers.parse((value or "").strip(), "RU")
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier(_l("Enter a Russian phone number, for example +7 916 123-45-67.")) from exc
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != "RU":
        raise InvalidIdentifier(_l("Enter a Russian phone number, for example +7 916 123-45-67."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """+7 916 123-45-67 for display."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "RU")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


#: A Telegram username (without «@»): 5–32 Latin letters, digits and underscores, starting with a letter.
TELEGRAM_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")
_TELEGRAM_PREFIXES = ("https://t.me/", "http://t.me/", "t.me/", "https://telegram.me/", "telegram.me/", "@")


def normalize_telegram(value: str) -> str:
    """«@ivan_petrov», «t.me/ivan_petrov» or «ivan_petrov» → «ivan_petrov» (stored without the «@»)."""
    name = (value or "").strip()
    for prefix in _TELEGRAM_PREFIXES:
        if name.lower().startswith(prefix):
            name = name[len(prefix) :]
            break
    name = name.strip("/")
    if not TELEGRAM_RE.match(name) or "__" in name or name.endswith("_"):
        raise InvalidIdentifier(
            _l("Enter a Telegram username like @ivan_petrov: 5 to 32 Latin letters, digits and underscores.")
        )
    return name


def normalize_whatsapp(value: str) -> str:
    """The number WhatsApp is on, in E.164: Russian numbers as typed («8 921…»), others with their «+code»."""
    try:
        number = phonenumbers.parse((value or "").strip(), "RU")
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier(_l("Enter the WhatsApp number, for example +7 921 555-12-34.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(_l("Enter the WhatsApp number, for example +7 921 555-12-34."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_href(e164: str | None) -> str:
    """``tel:+79215551234`` for a stored number (empty for none)."""
    return f"tel:{e164}" if e164 else ""


def whatsapp_href(e164: str | None) -> str:
    """The chat link WhatsApp documents: ``https://wa.me/<digits>``."""
    digits = "".join(ch for ch in e164 or "" if ch.isdigit())
    return f"https://wa.me/{digits}" if digits else ""


def telegram_href(username: str | None) -> str:
    return f"https://t.me/{username}" if username else ""


def normalize_inn(value: str, company: bool | None = None) -> str:
    """10 digits for an organisation, 12 for a sole proprietor; checksums verified."""
    compact = stdnum_inn.compact(value or "")
    if not compact.isdigit() or len(compact) not in (10, 12):
        raise InvalidIdentifier(_l("INN has 10 digits for an organisation or 12 for a sole proprietor."))
    try:
        stdnum_inn.validate(compact)
    except ValidationError as exc:
        raise InvalidIdentifier(_l("This INN has a wrong check digit: check it against your documents.")) from exc
    return compact


def normalize_kpp(value: str) -> str:
    kpp = (value or "").strip().upper()
    if not KPP_RE.match(kpp):
        raise InvalidIdentifier(_l("KPP has 9 characters: 4 digits, 2 digits or letters, 3 digits."))
    return kpp


def normalize_ogrn(value: str) -> str:
    compact = stdnum_ogrn.compact(value or "")
    try:
        stdnum_ogrn.validate(compact)
    except ValidationError as exc:
        raise InvalidIdentifier(_l("OGRN has 13 digits (15 for a sole proprietor) and a valid check digit.")) from exc
    return compact


def normalize_postcode(value: str) -> str:
    postcode = (value or "").strip()
    if not POSTCODE_RE.match(postcode):
        raise InvalidIdentifier(_l("A postcode has 6 digits, for example 101000."))
    return postcode

"""Request validation of the stand-in: the YooKassa API v3 rules the storefront must respect.

Each check raises ``ApiRefusal`` with the parameter name, like the real API's 400
``invalid_request`` body (``{"type": "error", "code": "invalid_request", "parameter": ...}``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_DESCRIPTION = 128
MAX_METADATA_KEYS = 16
MAX_METADATA_KEY = 32
MAX_METADATA_VALUE = 512
MAX_RECEIPT_ITEMS = 80
MAX_IDEMPOTENCE_KEY = 64
PAYMENT_MODES = {
    "full_prepayment",
    "partial_prepayment",
    "advance",
    "full_payment",
    "partial_payment",
    "credit",
    "credit_payment",
}
PAYMENT_SUBJECTS = {
    "commodity",
    "excise",
    "job",
    "service",
    "gambling_bet",
    "gambling_prize",
    "lottery",
    "lottery_prize",
    "intellectual_activity",
    "payment",
    "agent_commission",
    "composite",
    "another",
    "property_right",
    "non_operating_gain",
    "insurance_premium",
    "sales_tax",
    "resort_fee",
}
_AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\d{11,15}$")


class ApiRefusal(Exception):
    """A 4xx answer of the API: ``status``, ``code``, ``description``, ``parameter``."""

    def __init__(self, description: str, parameter: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(description)
        self.status = status
        self.code = code or {400: "invalid_request", 401: "invalid_credentials", 404: "not_found"}.get(
            status, "invalid_request"
        )
        self.description = description
        self.parameter = parameter


def require_object(value: Any, parameter: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiRefusal(f"{parameter} must be an object", parameter)
    return value


def parse_amount(value: Any, parameter: str = "amount", *, allow_zero: bool = False) -> Decimal:
    """``{"value": "1990.00", "currency": "RUB"}`` → Decimal; the value must be a string."""
    amount = require_object(value, parameter)
    raw = amount.get("value")
    if not isinstance(raw, str) or not _AMOUNT.match(raw):
        raise ApiRefusal(f"{parameter}.value must be a string with at most 2 decimals", f"{parameter}.value")
    if amount.get("currency") != "RUB":
        raise ApiRefusal(f"{parameter}.currency must be RUB", f"{parameter}.currency")
    number = Decimal(raw)
    if number < 0 or (number == 0 and not allow_zero):
        raise ApiRefusal(f"{parameter}.value must be greater than zero", f"{parameter}.value")
    return number


def check_description(value: Any, parameter: str = "description") -> None:
    if value is None:
        return
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise ApiRefusal(f"{parameter} must be a string of at most {MAX_DESCRIPTION} characters", parameter)


def check_metadata(value: Any) -> None:
    if value is None:
        return
    metadata = require_object(value, "metadata")
    if len(metadata) > MAX_METADATA_KEYS:
        raise ApiRefusal(f"metadata may have at most {MAX_METADATA_KEYS} keys", "metadata")
    for key, item in metadata.items():
        if len(key) > MAX_METADATA_KEY:
            raise ApiRefusal(f"metadata keys may have at most {MAX_METADATA_KEY} characters", "metadata")
        if not isinstance(item, str | int | float) or len(str(item)) > MAX_METADATA_VALUE:
            raise ApiRefusal(f"metadata values may have at most {MAX_METADATA_VALUE} characters", "metadata")


def check_confirmation(value: Any) -> dict[str, Any]:
    confirmation = require_object(value, "confirmation")
    if confirmation.get("type") != "redirect":
        raise ApiRefusal("only confirmation.type=redirect is supported by the stand-in", "confirmation.type")
    return_url = confirmation.get("return_url")
    if not isinstance(return_url, str) or not return_url.startswith(("http://", "https://")):
        raise ApiRefusal("confirmation.return_url must be an http(s) URL", "confirmation.return_url")
    return confirmation


def check_receipt(value: Any, total: Decimal) -> None:
    """54-FZ receipt: customer contact, 1..80 items, Σ(unit price × quantity) == ``total``."""
    receipt = require_object(value, "receipt")
    customer = require_object(receipt.get("customer") or {}, "receipt.customer")
    email, phone = customer.get("email"), customer.get("phone")
    if not email and not phone:
        raise ApiRefusal("receipt.customer needs an email or a phone", "receipt.customer")
    if email and (not isinstance(email, str) or not _EMAIL.match(email)):
        raise ApiRefusal("receipt.customer.email is not an email address", "receipt.customer.email")
    if phone and (not isinstance(phone, str) or not _PHONE.match(phone)):
        raise ApiRefusal("receipt.customer.phone must be digits in E.164 format", "receipt.customer.phone")
    items = receipt.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_RECEIPT_ITEMS:
        raise ApiRefusal(f"receipt.items must hold 1 to {MAX_RECEIPT_ITEMS} items", "receipt.items")
    sum_of_items = Decimal(0)
    for index, raw_item in enumerate(items):
        where = f"receipt.items[{index}]"
        item = require_object(raw_item, where)
        description = item.get("description")
        if not isinstance(description, str) or not description.strip() or len(description) > MAX_DESCRIPTION:
            raise ApiRefusal(f"{where}.description must have 1 to {MAX_DESCRIPTION} characters", f"{where}.description")
        try:
            quantity = Decimal(str(item.get("quantity")))
        except InvalidOperation:
            quantity = Decimal(-1)
        if not quantity.is_finite() or quantity <= 0:
            raise ApiRefusal(f"{where}.quantity must be a positive number", f"{where}.quantity")
        unit_price = parse_amount(item.get("amount"), f"{where}.amount", allow_zero=True)
        vat_code = item.get("vat_code")
        if isinstance(vat_code, bool) or not isinstance(vat_code, int) or not 1 <= vat_code <= 12:
            raise ApiRefusal(f"{where}.vat_code must be an integer 1-12", f"{where}.vat_code")
        if item.get("payment_mode") not in PAYMENT_MODES:
            raise ApiRefusal(f"{where}.payment_mode is missing or unknown", f"{where}.payment_mode")
        if item.get("payment_subject") not in PAYMENT_SUBJECTS:
            raise ApiRefusal(f"{where}.payment_subject is missing or unknown", f"{where}.payment_subject")
        sum_of_items += unit_price * quantity
    if sum_of_items.quantize(Decimal("0.01")) != total or sum_of_items != sum_of_items.quantize(Decimal("0.01")):
        raise ApiRefusal(
            f"the receipt items add up to {sum_of_items}, the amount is {total}: they must be equal", "receipt"
        )


def check_idempotence_key(value: str | None) -> str:
    if not value:
        raise ApiRefusal("the Idempotence-Key header is required for POST requests", "Idempotence-Key")
    if len(value) > MAX_IDEMPOTENCE_KEY:
        raise ApiRefusal(f"Idempotence-Key may have at most {MAX_IDEMPOTENCE_KEY} characters", "Idempotence-Key")
    return value

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
#: Tag 2108 values (API reference «Объект receipt → items → measure», yookassa.ru/developers/api#create_receipt):
#: the unit of the item, FFD 1.2 only.
MEASURES = {
    "piece",
    "gram",
    "kilogram",
    "ton",
    "centimeter",
    "decimeter",
    "meter",
    "square_centimeter",
    "square_decimeter",
    "square_meter",
    "milliliter",
    "liter",
    "cubic_meter",
    "kilowatt_hour",
    "gigacalorie",
    "day",
    "hour",
    "minute",
    "second",
    "kilobyte",
    "megabyte",
    "gigabyte",
    "terabyte",
    "another",
}
#: ``settlements[].type`` of a receipt (API reference «Создание чека», and the SDK's ``SettlementType``).
SETTLEMENT_TYPES = {"cashless", "prepayment", "postpayment", "consideration"}
#: ``receipt.type`` of ``POST /v3/receipts``: a payment receipt or a refund receipt (SDK ``ReceiptType``).
RECEIPT_TYPES = {"payment", "refund"}
#: «Для одного платежа или возврата можно создать не более 30 чеков»
#: (yookassa.ru/developers/solutions-for-platforms/marketplaces/receipts).
MAX_RECEIPTS_PER_OBJECT = 30
#: ``payment_method_data.type`` values the stand-in can play (the API knows more; see its «Способы оплаты»).
PAYMENT_METHOD_TYPES = {"bank_card", "sbp"}
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


def check_confirmation(value: Any, method: str | None = None) -> dict[str, Any]:
    """``redirect`` (a ``return_url`` is required), or ``qr`` for SBP only.

    API reference «Сценарии подтверждения»: ``qr`` is offered for SBP (and SberPay), not for cards;
    the SBP page (yookassa.ru/developers/payment-acceptance/integration-scenarios/manual-integration/other/sbp)
    names Redirect as SBP's scenario, with the QR shown on YooKassa's page.
    """
    confirmation = require_object(value, "confirmation")
    kind = confirmation.get("type")
    if kind == "qr":
        if method != "sbp":
            raise ApiRefusal("confirmation.type=qr is only for payment_method_data.type=sbp", "confirmation.type")
        return confirmation
    if kind != "redirect":
        raise ApiRefusal("confirmation.type must be redirect (or qr for SBP)", "confirmation.type")
    return_url = confirmation.get("return_url")
    if not isinstance(return_url, str) or not return_url.startswith(("http://", "https://")):
        raise ApiRefusal("confirmation.return_url must be an http(s) URL", "confirmation.return_url")
    return confirmation


def check_payment_method_data(value: Any, capture: bool) -> str | None:
    """``payment_method_data`` of a payment: its ``type``; None when the buyer picks on YooKassa's page.

    SBP «Холдирование: нельзя платить в две стадии» (the SBP page of the API docs): ``capture`` must be true.
    """
    if value is None:
        return None
    data = require_object(value, "payment_method_data")
    kind = data.get("type")
    if kind not in PAYMENT_METHOD_TYPES:
        raise ApiRefusal("payment_method_data.type is missing or not supported", "payment_method_data.type")
    if kind == "sbp" and not capture:
        raise ApiRefusal("SBP payments cannot be two-stage: capture must be true", "capture")
    return str(kind)


def check_receipt(value: Any, total: Decimal | None, *, ffd12: bool = False, where_: str = "receipt") -> Decimal:
    """54-FZ receipt: customer contact, 1..80 items, Σ(unit price × quantity) == ``total`` (when given).

    ``ffd12``: the shop's till works to FFD 1.2 («Чеки от ЮKassa» always do), so every item needs
    ``measure`` (tag 2108): API reference, ``receipt.items[].measure`` — «Обязательный параметр, если
    используете Чеки от ЮKassa или онлайн-кассу, обновленную до ФФД 1.2». Returns Σ of the items.
    """
    receipt = require_object(value, where_)
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
        measure = item.get("measure")
        if measure is None and ffd12:
            raise ApiRefusal(f"{where}.measure is required by an FFD 1.2 till (tag 2108)", f"{where}.measure")
        if measure is not None and measure not in MEASURES:
            raise ApiRefusal(f"{where}.measure is unknown", f"{where}.measure")
        sum_of_items += unit_price * quantity
    if sum_of_items != sum_of_items.quantize(Decimal("0.01")) or (total is not None and sum_of_items != total):
        raise ApiRefusal(
            f"the receipt items add up to {sum_of_items}, the amount is {total}: they must be equal", where_
        )
    return sum_of_items


def check_receipt_request(body: dict[str, Any], *, ffd12: bool) -> tuple[str, Decimal]:
    """``POST /v3/receipts`` (API reference «Создание чека», and the SDK's ``ReceiptRequest.validate``):

    - ``type`` is ``payment`` or ``refund``; a payment receipt names its ``payment_id``, a refund receipt its
      ``refund_id`` or ``payment_id``;
    - ``send`` is required and can only be ``true`` («Сейчас можно передать только значение true»);
    - ``customer`` with an email or phone, ``items`` as in a payment's receipt (``measure`` on FFD 1.2);
    - ``settlements`` (at least one, ``type`` of cashless/prepayment/postpayment/consideration) add up to the items;
    - a settlement of a prepayment closes it: the items' ``payment_mode`` is ``full_payment`` (чек зачёта
      предоплаты, «Чеки при платежах» in the 54-FZ docs).

    Returns the receipt type and the total.
    """
    kind = body.get("type")
    if kind not in RECEIPT_TYPES:
        raise ApiRefusal("type must be payment or refund", "type")
    if body.get("send") is not True:
        raise ApiRefusal("send is required and must be true", "send")
    if kind == "payment" and not isinstance(body.get("payment_id"), str):
        raise ApiRefusal("a payment receipt needs payment_id", "payment_id")
    if kind == "refund" and not isinstance(body.get("refund_id") or body.get("payment_id"), str):
        raise ApiRefusal("a refund receipt needs refund_id or payment_id", "refund_id")
    total = check_receipt(
        {"customer": body.get("customer"), "items": body.get("items")}, None, ffd12=ffd12, where_="receipt"
    )
    settlements = body.get("settlements")
    if not isinstance(settlements, list) or not settlements:
        raise ApiRefusal("settlements are required", "settlements")
    settled = Decimal(0)
    for index, raw in enumerate(settlements):
        settlement = require_object(raw, f"settlements[{index}]")
        if settlement.get("type") not in SETTLEMENT_TYPES:
            raise ApiRefusal(f"settlements[{index}].type is missing or unknown", f"settlements[{index}].type")
        settled += parse_amount(settlement.get("amount"), f"settlements[{index}].amount")
    if settled != total:
        raise ApiRefusal(f"the settlements add up to {settled}, the items to {total}: not equal", "settlements")
    if any(s.get("type") == "prepayment" for s in settlements):
        for index, item in enumerate(body["items"]):
            if item.get("payment_mode") != "full_payment":
                raise ApiRefusal(
                    "a receipt settling a prepayment carries payment_mode full_payment",
                    f"items[{index}].payment_mode",
                )
    return str(kind), total


def check_idempotence_key(value: str | None) -> str:
    if not value:
        raise ApiRefusal("the Idempotence-Key header is required for POST requests", "Idempotence-Key")
    if len(value) > MAX_IDEMPOTENCE_KEY:
        raise ApiRefusal(f"Idempotence-Key may have at most {MAX_IDEMPOTENCE_KEY} characters", "Idempotence-Key")
    return value

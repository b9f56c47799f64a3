"""The payment QR code of an invoice: ГОСТ Р 56042-2014 («Стандарты финансовых операций. Двумерные символы
штрихового кода для осуществления платежей физическими лицами»), which Russian banking apps read to fill a transfer.

The payload is a service block ``ST0001`` + the character set (``2``: UTF-8) and then ``Key=value`` pairs separated by
``|``: the mandatory block (Name, PersonalAcc, BankName, BIC, CorrespAcc; at most 300 bytes), then the optional
fields we fill (PayeeINN, KPP, Purpose, Sum in kopecks). The standard's limits, kept here:

* the separator must not occur in any value, so ``|`` in a value becomes ``/``; line breaks and other control
  characters (and the non-breaking spaces our number formats use) become plain spaces;
* Name ≤ 160 characters, BankName ≤ 45, Purpose ≤ 210, PayeeINN ≤ 12, KPP ≤ 9: longer text is cut (and the
  name further while the mandatory block is over 300 bytes);
* PersonalAcc and CorrespAcc are 20 characters, BIC 9 digits, Sum up to 18 digits: anything else is refused
  (``ValueError``) rather than encoded wrong.

This module knows nothing of orders: ``storefront.order.invoice`` fills ``PaymentFields``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO

import segno

HEADER = "ST00012"  # format ST0001, character set 2 = UTF-8
SEPARATOR = "|"
MANDATORY_BLOCK_BYTES = 300
#: Text fields and their longest value (characters).
LIMITS = {"Name": 160, "BankName": 45, "Purpose": 210, "PayeeINN": 12, "KPP": 9}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u00a0\u2007\u202f\u2028\u2029]")


@dataclass(frozen=True)
class PaymentFields:
    name: str
    personal_acc: str
    bank_name: str
    bic: str
    corresp_acc: str
    payee_inn: str
    kpp: str
    purpose: str
    #: The amount in kopecks (a whole number ≥ 0).
    sum_kopecks: int


def clean_value(value: str, limit: int | None = None) -> str:
    """A value the payload can carry: no separator, no control characters, single spaces, cut to ``limit``."""
    text = _CONTROL.sub(" ", value).replace(SEPARATOR, "/")
    text = " ".join(text.split())
    return text[:limit].rstrip() if limit is not None else text


def _checked(value: str, pattern: str, name: str) -> str:
    if not re.fullmatch(pattern, value):
        raise ValueError(f"{name} is not valid for a payment QR code: {value!r}")
    return value


def payment_payload(fields: PaymentFields) -> str:
    """The ``ST00012|Name=…|…|Sum=…`` text of the QR code."""
    mandatory = [
        ("Name", clean_value(fields.name, LIMITS["Name"])),
        ("PersonalAcc", _checked(fields.personal_acc, r"\d{20}", "PersonalAcc")),
        ("BankName", clean_value(fields.bank_name, LIMITS["BankName"])),
        ("BIC", _checked(fields.bic, r"\d{9}", "BIC")),
        ("CorrespAcc", _checked(fields.corresp_acc, r"\d{20}|0", "CorrespAcc")),
    ]
    if not all(value for _key, value in mandatory):
        raise ValueError("a payment QR code needs the payee's name and bank")
    block = SEPARATOR.join(f"{key}={value}" for key, value in mandatory)
    excess = len(block.encode("utf-8")) - MANDATORY_BLOCK_BYTES
    if excess > 0:  # a long Cyrillic name (2 bytes a letter): the name gives way, the accounts never do
        name = mandatory[0][1]
        while excess > 0 and name:
            excess -= len(name[-1].encode("utf-8"))
            name = name[:-1]
        mandatory[0] = ("Name", name.rstrip())
        block = SEPARATOR.join(f"{key}={value}" for key, value in mandatory)
    if fields.sum_kopecks < 0:
        raise ValueError("a payment QR code's Sum is never negative")
    optional = [
        ("PayeeINN", clean_value(fields.payee_inn, LIMITS["PayeeINN"])),
        ("KPP", clean_value(fields.kpp, LIMITS["KPP"])),
        ("Purpose", clean_value(fields.purpose, LIMITS["Purpose"])),
        ("Sum", _checked(str(fields.sum_kopecks), r"\d{1,18}", "Sum")),
    ]
    filled = [f"{key}={value}" for key, value in optional if value]
    return SEPARATOR.join([HEADER, block, *filled])


def parse_payload(payload: str) -> dict[str, str]:
    """The fields of a ``ST00012`` payload (what a banking app reads back); ``ValueError`` for another format."""
    header, _sep, rest = payload.partition(SEPARATOR)
    if header != HEADER:
        raise ValueError("not a UTF-8 ГОСТ Р 56042-2014 payload")
    fields: dict[str, str] = {}
    for pair in rest.split(SEPARATOR):
        key, equals, value = pair.partition("=")
        if not equals:
            raise ValueError(f"not a Key=value pair: {pair!r}")
        fields[key] = value
    return fields


def qr_png(payload: str, *, scale: int = 5) -> bytes:
    """The QR code as a PNG (error correction M, UTF-8 bytes, the quiet zone of 4 modules the standard asks for)."""
    out = BytesIO()
    segno.make(payload, error="m", encoding="utf-8", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()

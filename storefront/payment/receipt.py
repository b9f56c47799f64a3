"""54-FZ receipt items for a payment (pure functions, no I/O).

YooKassa checks that Σ(unit price × quantity) over the receipt items equals the payment amount
to the kopeck. Order lines carry undiscounted unit prices and the order carries one order-level
discount (tier + promo), so the discount is spread over the goods lines here:

1. every line gets a per-unit discount ``floor(D × price / subtotal)`` kopecks (proportional, so
   the unit prices stay whole kopecks and quantities stay whole);
2. the kopecks left over (fewer than the number of units) go, one kopeck per unit, to whole lines
   in the order of their largest rounding remainders (largest-remainder method);
3. whatever is still left (fewer kopecks than the smallest remaining line has units) is put on
   the last line that can take it, split into two items: ``r`` units one kopeck cheaper and the
   rest. So a receipt has at most one item more than the order has lines (+ shipping).

Shipping is never discounted; it is a separate ``service`` item. More than 80 items (the limit
of «Чеки от ЮKassa») raises ``ReceiptTooLong`` before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from storefront.errors import ShopError
from storefront.money import RUB, from_minor, quantize_kopecks, to_minor

#: «Чеки от ЮKassa» accept at most this many items per receipt (100 with a third-party till).
MAX_RECEIPT_ITEMS = 80
MAX_DESCRIPTION = 128
#: 22 % VAT, the standard rate from 2026-01-01 (yookassa.md §3).
VAT_CODE_22 = 11
#: Tag 1214: the buyer pays before the goods are handed over (100 % prepayment).
PAYMENT_MODE = "full_prepayment"
#: Tag 1214 of the closing receipt (чек зачёта предоплаты) when the prepaid goods are handed over.
PAYMENT_MODE_CLOSING = "full_payment"
#: Tag 1212: goods are ``commodity``, shipping is a ``service``.
SUBJECT_GOODS = "commodity"
SUBJECT_SERVICE = "service"
#: Tag 2108 (FFD 1.2, required by «Чеки от ЮKassa»): everything is sold by the piece, shipping included.
MEASURE_PIECE = "piece"
#: Fiscal documents are in Russian whatever the buyer's interface language (tag 1030).
SHIPPING_DESCRIPTION = "Доставка"


class ReceiptError(ShopError):
    """The order cannot be turned into a valid 54-FZ receipt."""


class ReceiptTooLong(ReceiptError):
    """The receipt would have more items than YooKassa accepts."""

    def __init__(self, items: int, limit: int = MAX_RECEIPT_ITEMS) -> None:
        self.items = items
        self.limit = limit
        super().__init__(f"the receipt would have {items} items; YooKassa accepts at most {limit}")


@dataclass(frozen=True)
class ReceiptLine:
    """One order line as it goes into a receipt: undiscounted unit price, whole quantity."""

    description: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class ReceiptItem:
    description: str
    quantity: int
    unit_price: Decimal
    vat_code: int = VAT_CODE_22
    payment_subject: str = SUBJECT_GOODS
    payment_mode: str = PAYMENT_MODE
    measure: str = MEASURE_PIECE

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    def as_api_dict(self) -> dict[str, object]:
        """The item as API v3 JSON: ``amount`` is the UNIT price, as a 2-decimal string."""
        return {
            "description": self.description,
            "quantity": str(self.quantity),
            "amount": {"value": f"{self.unit_price:.2f}", "currency": RUB},
            "vat_code": self.vat_code,
            "payment_subject": self.payment_subject,
            "payment_mode": self.payment_mode,
            "measure": self.measure,
        }


def receipt_total(items: Sequence[ReceiptItem]) -> Decimal:
    return sum((item.total for item in items), Decimal("0.00"))


def shorten(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """Collapse whitespace and cut to ``limit`` characters with an ellipsis."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ReceiptError("a receipt item needs a description")
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def _discounted_units(prices: list[int], quantities: list[int], discount: int) -> list[list[tuple[int, int]]]:
    """Per line, a list of (quantity, unit price in kopecks) after spreading ``discount`` kopecks."""
    subtotal = sum(p * q for p, q in zip(prices, quantities, strict=True))
    per_unit = [discount * p // subtotal for p in prices]
    remainders = [discount * p % subtotal for p in prices]
    left = discount - sum(u * q for u, q in zip(per_unit, quantities, strict=True))
    # Largest remainder first; ties go to the later line ("remainder on the last line").
    order = sorted(range(len(prices)), key=lambda i: (remainders[i], i), reverse=True)
    raised: set[int] = set()
    for index in order:
        if left == 0:
            break
        if quantities[index] <= left:
            per_unit[index] += 1
            left -= quantities[index]
            raised.add(index)
    result = [[(q, p - u)] for p, q, u in zip(prices, quantities, per_unit, strict=True)]
    if left:
        # Some line not raised above has more units than ``left`` (left < Σ q of those lines).
        index = max(i for i in range(len(prices)) if i not in raised and quantities[i] > left)
        price = prices[index] - per_unit[index]
        result[index] = [(quantities[index] - left, price), (left, price - 1)]
    return result


def build_receipt_items(
    lines: Sequence[ReceiptLine],
    *,
    discount: Decimal = Decimal("0"),
    shipping: Decimal = Decimal("0"),
    shipping_description: str = SHIPPING_DESCRIPTION,
    vat_code: int = VAT_CODE_22,
    max_items: int = MAX_RECEIPT_ITEMS,
) -> list[ReceiptItem]:
    """Receipt items whose total is exactly ``Σ lines − discount + shipping``.

    ``discount`` is an order-level discount on the goods (not on shipping). Lines whose price
    drops to zero (a 100 % discount) are left out: they are not paid for.
    """
    if not lines:
        raise ReceiptError("a receipt needs at least one order line")
    prices = [to_minor(line.unit_price) for line in lines]
    quantities = [line.quantity for line in lines]
    if any(isinstance(q, bool) or not isinstance(q, int) or q <= 0 for q in quantities):
        raise ReceiptError("quantities must be whole positive numbers")
    if any(line.unit_price != quantize_kopecks(line.unit_price) for line in lines):
        raise ReceiptError("unit prices must be whole kopecks")
    if any(p <= 0 for p in prices):
        raise ReceiptError("unit prices must be positive")
    discount_minor = to_minor(discount)
    shipping_minor = to_minor(shipping)
    subtotal = sum(p * q for p, q in zip(prices, quantities, strict=True))
    if discount_minor < 0 or discount_minor > subtotal:
        raise ReceiptError("the discount must be between zero and the goods subtotal")
    if shipping_minor < 0:
        raise ReceiptError("shipping must not be negative")

    items: list[ReceiptItem] = []
    for line, parts in zip(lines, _discounted_units(prices, quantities, discount_minor), strict=True):
        description = shorten(line.description)
        for quantity, price in parts:
            if price > 0:
                items.append(ReceiptItem(description, quantity, from_minor(price), vat_code))
    if shipping_minor:
        items.append(
            ReceiptItem(shorten(shipping_description), 1, from_minor(shipping_minor), vat_code, SUBJECT_SERVICE)
        )
    if not items:
        raise ReceiptError("nothing on the receipt is paid for")
    if len(items) > max_items:
        raise ReceiptTooLong(len(items), max_items)
    return items


def receipt_customer(email: str | None = None, phone: str | None = None) -> dict[str, str]:
    """The ``receipt.customer`` object: an email and/or a phone as E.164 digits (79001234567)."""
    customer: dict[str, str] = {}
    if email:
        customer["email"] = email.strip()
    if phone:
        digits = "".join(ch for ch in phone if ch.isdigit())
        if not 11 <= len(digits) <= 15:
            raise ReceiptError("the phone for the receipt must be in international format, e.g. +7 900 123-45-67")
        customer["phone"] = digits
    if not customer:
        raise ReceiptError("a receipt needs the buyer's email or phone")
    return customer


def build_receipt(
    customer: Mapping[str, str],
    items: Sequence[ReceiptItem],
) -> dict[str, object]:
    """The ``receipt`` object of a payment or refund request."""
    return {"customer": dict(customer), "items": [item.as_api_dict() for item in items]}


def items_from_receipt(receipt: dict[str, Any]) -> list[ReceiptItem]:
    """The items of a stored ``receipt`` object (``build_receipt``'s output) as ``ReceiptItem`` values."""
    return [
        ReceiptItem(
            description=item["description"],
            quantity=int(Decimal(str(item["quantity"]))),
            unit_price=Decimal(item["amount"]["value"]),
            vat_code=int(item["vat_code"]),
            payment_subject=item["payment_subject"],
            payment_mode=item["payment_mode"],
            # Receipts stored before tag 2108 was sent carry no measure: everything was sold by the piece.
            measure=item.get("measure", MEASURE_PIECE),
        )
        for item in receipt.get("items", [])
    ]

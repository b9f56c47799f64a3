"""The payment gateway seam: a Protocol and plain dataclasses, no SDK and no order model.

The YooKassa adapter (``storefront.payment.yookassa``) implements ``PaymentGateway``; order and
checkout services depend on this module only, so pure unit tests can use an in-memory fake.
Idempotence keys are created by the caller (one per logical operation), stored before the call,
and passed again on every retry of that operation.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from storefront.money import RUB
from storefront.payment.receipt import ReceiptItem


class PaymentStatus(StrEnum):
    PENDING = "pending"
    WAITING_FOR_CAPTURE = "waiting_for_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


def new_idempotence_key() -> str:
    """A fresh key for one logical operation (36 characters; the API accepts up to 64)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class PaymentRequest:
    amount: Decimal
    description: str
    return_url: str
    idempotence_key: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    receipt_items: Sequence[ReceiptItem] = ()
    #: ``{"email": ...}`` and/or ``{"phone": "79001234567"}``; required when there are receipt items.
    customer: Mapping[str, str] = field(default_factory=dict)
    #: True: one-stage (money taken at once); False: two-stage (held, then captured or canceled).
    capture: bool = True
    currency: str = RUB
    #: ``payment_method_data.type`` (``bank_card``, ``sbp``); None lets the buyer pick on YooKassa's page.
    payment_method: str | None = None


@dataclass(frozen=True)
class PaymentResult:
    payment_id: str
    status: PaymentStatus
    paid: bool
    amount: Decimal
    currency: str
    confirmation_url: str | None = None
    refundable: bool = False
    refunded_amount: Decimal = Decimal("0.00")
    metadata: Mapping[str, str] = field(default_factory=dict)
    cancellation_party: str | None = None
    cancellation_reason: str | None = None
    created_at: datetime | None = None
    captured_at: datetime | None = None
    #: Capture deadline of a held (``waiting_for_capture``) payment.
    expires_at: datetime | None = None
    test: bool = False

    @property
    def is_final(self) -> bool:
        return self.status in (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED)


@dataclass(frozen=True)
class RefundRequest:
    payment_id: str
    amount: Decimal
    idempotence_key: str
    description: str | None = None
    receipt_items: Sequence[ReceiptItem] = ()
    customer: Mapping[str, str] = field(default_factory=dict)
    currency: str = RUB


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    payment_id: str
    status: RefundStatus
    amount: Decimal
    currency: str
    created_at: datetime | None = None
    cancellation_reason: str | None = None


@dataclass(frozen=True)
class ClosingReceiptRequest:
    """``POST /v3/receipts``: the closing receipt (чек зачёта предоплаты) of a prepaid payment, made when the goods
    are handed over. Its items carry ``payment_mode`` ``full_payment``; one settlement of type ``prepayment``."""

    payment_id: str
    idempotence_key: str
    receipt_items: Sequence[ReceiptItem]
    customer: Mapping[str, str]


@dataclass(frozen=True)
class ReceiptResult:
    receipt_id: str
    #: ``pending`` (being registered), ``succeeded`` or ``canceled``.
    status: str


class PaymentGateway(Protocol):
    """What the shop needs from a payment provider. Every method may raise ``payment.errors``:
    ``OutcomeUnknown`` (retry with the same key / re-query), ``RequestRefused`` (definite no), and
    for ``create_payment``/``capture_payment`` ``PaymentDeclined`` when the answer is ``canceled``.
    """

    def create_payment(self, request: PaymentRequest) -> PaymentResult: ...

    def get_payment(self, payment_id: str) -> PaymentResult: ...

    def capture_payment(
        self, payment_id: str, idempotence_key: str, amount: Decimal | None = None
    ) -> PaymentResult: ...

    def cancel_payment(self, payment_id: str, idempotence_key: str) -> PaymentResult: ...

    def create_refund(self, request: RefundRequest) -> RefundResult: ...

    def get_refund(self, refund_id: str) -> RefundResult: ...

    def create_closing_receipt(self, request: ClosingReceiptRequest) -> ReceiptResult: ...

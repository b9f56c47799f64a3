"""The YooKassa adapter through the real ``yookassa`` SDK over HTTP against the stand-in on 127.0.0.1."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from devtools.yookassa_standin import StandIn, StandInClient
from storefront.payment.errors import (
    DeadlineExceeded,
    GatewayMisconfigured,
    GatewayObjectNotFound,
    InvalidPaymentRequest,
    OutcomeUnknown,
    PaymentDeclined,
    RequestRefused,
)
from storefront.payment.gateway import (
    PaymentRequest,
    PaymentStatus,
    RefundRequest,
    RefundStatus,
    new_idempotence_key,
)
from storefront.payment.receipt import ReceiptLine, build_receipt_items
from storefront.payment.yookassa import YooKassaGateway, YooKassaSettings

DEADLINE = 1.5
RETURN_URL = "http://127.0.0.1:5000/orders/M-1001"


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn(require_receipt=True, ffd_version="1.2") as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_standin(standin: StandIn) -> Iterator[None]:
    standin.reset()
    standin.require_receipt = True
    yield
    standin.reset()


@pytest.fixture
def gateway(standin: StandIn) -> Iterator[YooKassaGateway]:
    settings = YooKassaSettings(standin.shop_id, standin.secret_key, standin.api_url, DEADLINE)
    gateway = YooKassaGateway(settings)
    yield gateway
    gateway.close()


def _payment_request(amount: str = "2340.50", key: str | None = None, capture: bool = True) -> PaymentRequest:
    items = build_receipt_items(
        [ReceiptLine("Кроссовки беговые", 2, Decimal("995.25")), ReceiptLine("Носки", 1, Decimal("100.00"))],
        shipping=Decimal(amount) - Decimal("2090.50"),
    )
    return PaymentRequest(
        amount=Decimal(amount),
        description="Заказ M-1001 в Мостике",
        return_url=RETURN_URL,
        idempotence_key=key or new_idempotence_key(),
        metadata={"order_number": "M-1001", "order_id": "17"},
        receipt_items=items,
        customer={"email": "buyer@example.ru"},
        capture=capture,
    )


def _paid_payment(gateway: YooKassaGateway, control: StandInClient, amount: str = "2340.50") -> str:
    payment = gateway.create_payment(_payment_request(amount))
    control.pay(payment.payment_id)
    return payment.payment_id


def test_a_created_payment_is_pending_until_the_buyer_pays_then_succeeded(gateway, control, standin):
    request = _payment_request()

    created = gateway.create_payment(request)
    assert created.status is PaymentStatus.PENDING
    assert created.paid is False
    assert created.amount == Decimal("2340.50")
    assert created.confirmation_url == f"{standin.url}/checkout/{created.payment_id}"
    assert created.metadata["order_number"] == "M-1001"

    control.pay(created.payment_id)
    found = gateway.get_payment(created.payment_id)

    assert found.status is PaymentStatus.SUCCEEDED
    assert found.paid is True
    assert found.refundable is True
    assert found.amount == Decimal("2340.50")
    assert found.captured_at is not None
    assert found.is_final


def test_our_idempotence_key_and_two_decimal_money_strings_are_sent(gateway, control):
    request = _payment_request()

    gateway.create_payment(request)

    (logged,) = [entry for entry in control.requests() if entry["method"] == "POST"]
    assert logged["idempotence_key"] == request.idempotence_key
    assert logged["body"]["amount"] == {"value": "2340.50", "currency": "RUB"}
    assert logged["body"]["metadata"]["cms_name"] == "mostik"
    assert logged["body"]["receipt"]["items"][0]["vat_code"] == 11
    assert logged["headers"]["Authorization"].startswith("Basic ")


def test_a_retry_with_the_same_key_after_a_500_after_commit_gives_one_payment(gateway, control, standin):
    request = _payment_request()
    control.add_fault("500", "POST /payments", after_commit=True)

    with pytest.raises(OutcomeUnknown) as unknown:
        gateway.create_payment(request)
    retried = gateway.create_payment(request)

    assert unknown.value.reason == "server_error"
    assert list(standin.payments) == [retried.payment_id]
    keys = [entry["idempotence_key"] for entry in control.requests() if entry["method"] == "POST"]
    assert keys == [request.idempotence_key, request.idempotence_key]


def test_a_connection_dropped_after_commit_is_unknown_and_the_retry_replays(gateway, control, standin):
    request = _payment_request()
    control.add_fault("drop", "POST /payments", after_commit=True)

    with pytest.raises(OutcomeUnknown) as unknown:
        gateway.create_payment(request)
    retried = gateway.create_payment(request)

    assert unknown.value.reason == "connection"
    assert list(standin.payments) == [retried.payment_id]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("429", "rate_limited"), ("202", "processing"), ("html_502", "bad_response"), ("500", "server_error")],
)
def test_transient_answers_leave_the_outcome_unknown(gateway, control, standin, fault, reason):
    control.add_fault(fault, "POST /payments")

    with pytest.raises(OutcomeUnknown) as unknown:
        gateway.create_payment(_payment_request())

    assert unknown.value.reason == reason
    assert standin.payments == {}


def test_a_transient_failure_of_a_status_query_is_unknown_not_refused(gateway, control):
    payment_id = _paid_payment(gateway, control)
    control.add_fault("html_502", "GET /payments/*")

    with pytest.raises(OutcomeUnknown):
        gateway.get_payment(payment_id)
    assert gateway.get_payment(payment_id).status is PaymentStatus.SUCCEEDED


def test_connection_refused_is_an_unknown_outcome():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    gateway = YooKassaGateway(YooKassaSettings("100500", "secret", f"http://127.0.0.1:{closed_port}/v3", DEADLINE))
    try:
        with pytest.raises(OutcomeUnknown) as unknown:
            gateway.create_payment(_payment_request())
    finally:
        gateway.close()

    assert unknown.value.reason == "connection"


def test_a_hung_gateway_raises_deadline_exceeded_within_the_configured_seconds(gateway, control):
    control.add_fault("hang", "POST /payments", seconds=30)

    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as deadline:
        gateway.create_payment(_payment_request())
    waited = time.monotonic() - started

    assert deadline.value.reason == "deadline"
    assert deadline.value.seconds == DEADLINE
    # Bounded by the deadline, not by the 30 s the stand-in would hang (generous margin for slow CI).
    assert waited < DEADLINE + 10


def test_a_wrong_secret_key_is_a_configuration_refusal(standin):
    gateway = YooKassaGateway(YooKassaSettings(standin.shop_id, "wrong", standin.api_url, DEADLINE))
    try:
        with pytest.raises(GatewayMisconfigured) as refused:
            gateway.create_payment(_payment_request())
    finally:
        gateway.close()

    assert refused.value.status == 401
    assert refused.value.code == "invalid_credentials"


def test_an_unknown_payment_is_not_found_and_a_malformed_id_is_never_sent(gateway, control):
    with pytest.raises(GatewayObjectNotFound):
        gateway.get_payment("2c2a4a4b-000f-5000-9000-000000000000")
    with pytest.raises(InvalidPaymentRequest):
        gateway.get_payment("../refunds")

    assert [entry["path"] for entry in control.requests()] == ["/payments/2c2a4a4b-000f-5000-9000-000000000000"]


def test_the_same_key_with_different_data_is_refused(gateway):
    key = new_idempotence_key()
    gateway.create_payment(_payment_request("2340.50", key))

    with pytest.raises(RequestRefused) as refused:
        gateway.create_payment(_payment_request("2400.00", key))

    assert refused.value.status == 400
    assert refused.value.parameter == "Idempotence-Key"


def test_a_payment_without_a_receipt_is_refused_when_receipts_are_required(gateway, control):
    request = PaymentRequest(Decimal("100.00"), "Заказ M-1", RETURN_URL, new_idempotence_key())

    with pytest.raises(RequestRefused) as refused:
        gateway.create_payment(request)

    assert refused.value.parameter == "receipt"
    assert not isinstance(refused.value, InvalidPaymentRequest)


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"amount": Decimal("100.005")},
        {"amount": Decimal("0")},
        {"description": "x" * 129},
        {"metadata": {f"k{n}": "v" for n in range(16)}},
        {"idempotence_key": "k" * 65},
        {"currency": "USD"},
        {"return_url": "/orders/M-1001"},
        {"customer": {}},
        {"amount": Decimal("2340.51")},  # receipt items no longer add up to the amount
    ],
)
def test_invalid_requests_are_refused_before_anything_is_sent(gateway, control, request_kwargs):
    base = _payment_request()
    request = PaymentRequest(**{**base.__dict__, **request_kwargs})

    with pytest.raises(InvalidPaymentRequest):
        gateway.create_payment(request)

    assert control.requests() == []


def test_two_stage_payment_is_held_then_captured(gateway, control):
    created = gateway.create_payment(_payment_request(capture=False))
    control.pay(created.payment_id)
    held = gateway.get_payment(created.payment_id)
    assert held.status is PaymentStatus.WAITING_FOR_CAPTURE
    assert held.paid is True
    assert held.expires_at is not None

    capture_key = new_idempotence_key()
    captured = gateway.capture_payment(created.payment_id, capture_key)
    again = gateway.capture_payment(created.payment_id, capture_key)

    assert captured.status is PaymentStatus.SUCCEEDED
    assert again == captured


def test_a_held_payment_can_be_canceled_but_a_succeeded_one_cannot(gateway, control):
    held = gateway.create_payment(_payment_request(capture=False))
    control.pay(held.payment_id)

    canceled = gateway.cancel_payment(held.payment_id, new_idempotence_key())
    assert canceled.status is PaymentStatus.CANCELED
    assert (canceled.cancellation_party, canceled.cancellation_reason) == ("merchant", "canceled_by_merchant")

    paid_id = _paid_payment(gateway, control)
    with pytest.raises(RequestRefused):
        gateway.cancel_payment(paid_id, new_idempotence_key())


def test_a_declined_payment_is_canceled_by_the_payment_network(gateway, control):
    created = gateway.create_payment(_payment_request())

    control.fail(created.payment_id, "insufficient_funds")
    found = gateway.get_payment(created.payment_id)

    assert found.status is PaymentStatus.CANCELED
    assert (found.cancellation_party, found.cancellation_reason) == ("payment_network", "insufficient_funds")


def _refund(payment_id: str, amount: str, key: str | None = None) -> RefundRequest:
    items = build_receipt_items([ReceiptLine("Возврат: кроссовки беговые", 1, Decimal(amount))])
    return RefundRequest(
        payment_id,
        Decimal(amount),
        key or new_idempotence_key(),
        "Возврат по заказу M-1001",
        items,
        {"email": "buyer@example.ru"},
    )


def test_a_partial_then_a_full_refund(gateway, control):
    payment_id = _paid_payment(gateway, control, "2340.50")

    first = gateway.create_refund(_refund(payment_id, "995.25"))
    after_first = gateway.get_payment(payment_id)
    second = gateway.create_refund(_refund(payment_id, "1345.25"))
    after_second = gateway.get_payment(payment_id)

    assert first.status is RefundStatus.SUCCEEDED
    assert gateway.get_refund(first.refund_id) == first
    assert after_first.refunded_amount == Decimal("995.25")
    assert after_first.refundable is True
    assert second.amount == Decimal("1345.25")
    assert after_second.refunded_amount == Decimal("2340.50")
    assert after_second.refundable is False


def test_a_refund_beyond_what_was_paid_is_refused(gateway, control):
    payment_id = _paid_payment(gateway, control, "2340.50")
    gateway.create_refund(_refund(payment_id, "2000.00"))

    with pytest.raises(RequestRefused) as refused:
        gateway.create_refund(_refund(payment_id, "340.51"))

    assert refused.value.parameter == "amount.value"
    assert gateway.get_payment(payment_id).refunded_amount == Decimal("2000.00")


def test_an_unpaid_payment_cannot_be_refunded(gateway):
    created = gateway.create_payment(_payment_request())

    with pytest.raises(RequestRefused):
        gateway.create_refund(_refund(created.payment_id, "10.00"))


def test_a_refund_retried_with_its_key_after_a_500_is_made_once(gateway, control, standin):
    payment_id = _paid_payment(gateway, control)
    request = _refund(payment_id, "100.00")
    control.add_fault("500", "POST /refunds", after_commit=True)

    with pytest.raises(OutcomeUnknown):
        gateway.create_refund(request)
    refund = gateway.create_refund(request)

    assert list(standin.refunds) == [refund.refund_id]
    assert gateway.get_payment(payment_id).refunded_amount == Decimal("100.00")


def test_settings_come_from_the_app_config():
    assert YooKassaSettings.from_config({"YOOKASSA_SHOP_ID": "", "YOOKASSA_SECRET_KEY": "x"}) is None
    settings = YooKassaSettings.from_config(
        {
            "YOOKASSA_SHOP_ID": "100500",
            "YOOKASSA_SECRET_KEY": "live_secret",
            "YOOKASSA_API_URL": "http://127.0.0.1:8765/v3/",
            "YOOKASSA_TIMEOUT_SECONDS": 7.5,
        }
    )
    assert settings == YooKassaSettings("100500", "live_secret", "http://127.0.0.1:8765/v3", 7.5)
    assert "live_secret" not in repr(settings)


def test_a_payment_canceled_at_creation_is_declined_and_stays_declined_on_retry(gateway, control):
    control.decline_next_payment("card_expired")
    request = _payment_request()

    with pytest.raises(PaymentDeclined) as declined:
        gateway.create_payment(request)
    with pytest.raises(PaymentDeclined) as again:
        gateway.create_payment(request)

    assert declined.value.result.cancellation_reason == "card_expired"
    assert declined.value.result.cancellation_party == "payment_network"
    assert again.value.result.payment_id == declined.value.result.payment_id

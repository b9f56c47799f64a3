"""Over HTTPS the SDK retries a 202 itself with the same key; we shortened its backoff to fit the deadline."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from devtools.yookassa_standin import StandIn
from storefront.payment.errors import OutcomeUnknown
from storefront.payment.gateway import PaymentRequest, PaymentStatus, new_idempotence_key
from storefront.payment.yookassa import YooKassaGateway, YooKassaSettings

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def standin(certificate: tuple[Path, Path]) -> Iterator[StandIn]:
    cert, key = certificate
    with StandIn(certfile=str(cert), keyfile=str(key)) as server:
        yield server


def _gateway(standin: StandIn, cert: Path, seconds: float) -> YooKassaGateway:
    return YooKassaGateway(YooKassaSettings(standin.shop_id, standin.secret_key, standin.api_url, seconds, str(cert)))


def _request() -> PaymentRequest:
    return PaymentRequest(Decimal("990.00"), "Заказ M-42", "https://shop.example/orders/M-42", new_idempotence_key())


def test_the_sdk_retries_one_202_over_https_with_the_same_key(standin, certificate):
    standin.reset()
    standin.add_fault("202", "POST /payments", count=1)
    gateway = _gateway(standin, certificate[0], 10)
    request = _request()

    try:
        payment = gateway.create_payment(request)
    finally:
        gateway.close()

    assert payment.status is PaymentStatus.PENDING
    assert payment.confirmation_url.startswith("https://127.0.0.1:")
    keys = [entry["idempotence_key"] for entry in standin.request_log if entry["method"] == "POST"]
    assert keys == [request.idempotence_key, request.idempotence_key]
    assert list(standin.payments) == [payment.payment_id]


def test_a_202_that_persists_through_the_sdk_retries_is_an_unknown_outcome(standin, certificate):
    standin.reset()
    standin.add_fault("202", "POST /payments", count=-1)
    gateway = _gateway(standin, certificate[0], 10)
    request = _request()

    try:
        with pytest.raises(OutcomeUnknown) as unknown:
            gateway.create_payment(request)
    finally:
        gateway.close()

    assert unknown.value.reason == "connection"  # the SDK's AttributeError once its retries run out
    keys = [entry["idempotence_key"] for entry in standin.request_log if entry["method"] == "POST"]
    assert keys == [request.idempotence_key] * 4
    assert standin.payments == {}

"""Log lines: JSON in production with the request id, nothing personal or secret in any of them."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from devtools.yookassa_standin import StandIn
from storefront.ops.logs import MASK, REQUEST_ID, MaskingFilter, RequestIdFilter, mask_text, mask_value
from storefront.ops.web import request_id_from
from storefront.payment.yookassa import SDK_LOGGER, YooKassaGateway, YooKassaSettings
from tests.storefront.payment.test_yookassa_gateway import _payment_request

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "text",
    [
        "sign-in failed for Anna.Smirnova+shop@example.ru",
        "call +7 (916) 123-45-67",
        "call 8 916 123 45 67",
        "receipt phone 79161234567",
        "card 4111 1111 1111 1111",
        "card 4111-1111-1111-1111",
        "{'Authorization': 'Basic MTAwNTAwOnRlc3Rfc2VjcmV0'}",
        "YOOKASSA_SECRET_KEY=test_secret_value",
        "password: hunter2!",
        "redis://:s3cret-pass@127.0.0.1:6379/0",
    ],
)
def test_personal_data_and_secrets_are_masked(text: str) -> None:
    masked = mask_text(text)
    assert MASK in masked
    for secret in ("example.ru", "916", "4111", "MTAwNTAw", "test_secret", "hunter2", "s3cret"):
        assert secret not in masked, masked


@pytest.mark.parametrize(
    "text",
    [
        "order M-20261206-0042 paid 1234567.89 RUB",
        "payment 2c0a2e68-000f-5000-8000-1b6e3e8c3b1e succeeded",
        "payment 45f8a052-000f-5000-9000-077270f8d13c succeeded",  # 14 digits in groups, not a card
        "uuid 12345678-1234-5678-1234-567812345678",
        "INN 7801123455 KPP 780101001",
        "at 2026-12-06T09:13:16+03:00 from 203.0.113.9",
        "periodic job expire-orders failed",
    ],
)
def test_ordinary_facts_stay_readable(text: str) -> None:
    assert mask_text(text) == text


def test_structured_values_are_masked_by_key_and_by_content() -> None:
    context = {
        "_headers": {"Authorization": "Basic abc", "Idempotence-Key": "k-1"},
        "_body": {"receipt": {"customer": {"email": "a@b.ru", "phone": "79161234567"}}, "note": "to c@d.ru"},
    }
    assert mask_value(context) == {
        "_headers": {"Authorization": MASK, "Idempotence-Key": "k-1"},
        "_body": {"receipt": {"customer": {"email": MASK, "phone": MASK}}, "note": f"to {MASK}"},
    }


def test_the_configured_secret_values_are_masked_wherever_they_appear() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "connect with %s failed", ("key-3f9a81",), None)
    MaskingFilter(secrets=["key-3f9a81"]).filter(record)
    assert record.getMessage() == f"connect with {MASK} failed"


def test_incoming_request_ids_are_kept_only_when_they_are_sane_tokens() -> None:
    assert request_id_from("b7e4c1d2-0f9a-4c5e-9d3b-1a2b3c4d5e6f") == "b7e4c1d2-0f9a-4c5e-9d3b-1a2b3c4d5e6f"
    for bad in (None, "", "two words", "x" * 65, "<script>", "id\nforged log line", "ид-запроса"):
        made = request_id_from(bad)
        assert made != bad and len(made) == 32 and made.isalnum()


def test_every_response_carries_its_request_id(client) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "lb-1234"}).headers["X-Request-ID"] == "lb-1234"
    made = client.get("/healthz", headers={"X-Request-ID": "not sane"}).headers["X-Request-ID"]
    assert made != "not sane" and len(made) == 32
    assert client.get("/no/such/page").headers["X-Request-ID"] != made


PRODUCTION_500 = """
import json, sys
from flask import request
import wsgi
from storefront.extensions import csrf, db

app = wsgi.create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
assert app.config["MOSTIK_ENV"] == "production" and not app.testing

@csrf.exempt
@app.post("/__explode")
def explode():
    raise ValueError(f"cannot handle {request.form['email']} with card {request.form['card']}")

answer = app.test_client().post(
    "/__explode",
    data={"email": "anna.smirnova@example.ru", "card": "4111 1111 1111 1111"},
    headers={"X-Request-ID": "req-500-check"},
)
with app.app_context():
    db.engine.dispose()
print("STATUS", answer.status_code, answer.headers["X-Request-ID"], file=sys.stderr)
"""


def test_a_500_in_production_is_one_json_line_with_the_request_id_and_without_the_e_mail(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MOSTIK_ENV": "production",
        "SECRET_KEY": "production-secret-for-the-test",
        "MOSTIK_INSTANCE_PATH": str(tmp_path),
    }
    env.pop("LOG_TO_STDOUT", None)
    done = subprocess.run(
        [sys.executable, "-c", PRODUCTION_500, f"sqlite:///{tmp_path / 'shop.db'}"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert "STATUS 500 req-500-check" in done.stderr, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]  # every line is one JSON object
    (error,) = [line for line in lines if line["logger"] == "storefront.errors"]
    assert error["level"] == "ERROR"
    assert error["request_id"] == "req-500-check"
    assert error["message"] == "unhandled error on POST /__explode"
    assert "ValueError: cannot handle" in error["exc_info"] and "Traceback" in error["exc_info"]
    assert {"time", "level", "logger", "message", "request_id"} <= set(error)
    (access,) = [line for line in lines if line["logger"] == "storefront.access"]
    assert access["request_id"] == "req-500-check" and access["status"] == 500
    assert "anna.smirnova" not in done.stdout and "example.ru" not in done.stdout
    assert "4111" not in done.stdout
    assert "production-secret-for-the-test" not in done.stdout


def test_what_the_yookassa_sdk_logs_is_masked(tmp_path: Path) -> None:
    """The SDK logs each request's headers (Basic auth with the secret key) and body (the buyer's e-mail) when its
    logger is lowered to INFO: through our handler's filters none of it is written."""
    handler_stream = tmp_path / "sdk.log"
    handler = logging.FileHandler(handler_stream, encoding="utf-8")
    handler.addFilter(RequestIdFilter())
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(request_id)s %(message)s %(context)s"))
    SDK_LOGGER.addHandler(handler)
    SDK_LOGGER.setLevel(logging.INFO)
    token = REQUEST_ID.set("req-sdk")
    try:
        with StandIn(require_receipt=True, ffd_version="1.2") as standin:
            gateway = YooKassaGateway(YooKassaSettings(standin.shop_id, standin.secret_key, standin.api_url, 5.0))
            try:
                payment = gateway.create_payment(_payment_request())
            finally:
                gateway.close()
            secret = standin.secret_key
    finally:
        REQUEST_ID.reset(token)
        SDK_LOGGER.removeHandler(handler)
        SDK_LOGGER.setLevel(logging.NOTSET)
        handler.close()
    written = handler_stream.read_text(encoding="utf-8")
    assert "Send request: post" in written and payment.payment_id in written
    assert written.count("req-sdk") == 2  # the request and the response, from the SDK's worker thread
    assert "'Authorization': '***'" in written
    assert "buyer@example.ru" not in written and secret not in written


def test_the_production_config_keeps_the_sdk_quiet_and_filters_every_handler() -> None:
    from storefront.ops.logs import logging_config

    config = logging_config(json_lines=True, secrets=["abc123456"])
    assert config["disable_existing_loggers"] is False
    assert config["loggers"]["yookassa"]["level"] == "WARNING"
    for handler in config["handlers"].values():
        assert handler["filters"] == ["request_id", "masking"]


def test_development_keeps_readable_lines(app: Flask) -> None:
    from storefront.ops.logs import TEXT_FORMAT, logging_config

    assert logging_config(json_lines=False)["handlers"]["stdout"]["formatter"] == "text"
    assert "%(request_id)s" in TEXT_FORMAT

"""The YooKassa stand-in itself: API contract checks, the test checkout page, notifications, CLI guard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from devtools.yookassa_standin import StandIn, StandInClient
from devtools.yookassa_standin.__main__ import real_credentials_configured
from storefront.payment.notifications import parse_notification


class Shop:
    """A tiny notification receiver on 127.0.0.1 answering with scripted statuses (then 200)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.senders: list[str] = []
        self.statuses: list[int] = []
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                shop.received.append(json.loads(body))
                shop.senders.append(self.client_address[0])
                status = shop.statuses.pop(0) if shop.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/payments/yookassa/notifications"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    receiver = Shop()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def standin(shop: Shop) -> Iterator[StandIn]:
    with StandIn(notify_url=shop.url, webhook_retry_delays=(0.05, 0.05, 0.05)) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(standin: StandIn, shop: Shop) -> Iterator[None]:
    standin.reset()
    standin.require_receipt = False
    shop.received.clear()
    shop.senders.clear()
    shop.statuses.clear()
    yield
    standin.reset()


@pytest.fixture
def api(standin: StandIn) -> requests.Session:
    session = requests.Session()
    session.auth = (standin.shop_id, standin.secret_key)
    yield session
    session.close()


def _item(**overrides):
    item = {
        "description": "Кроссовки",
        "quantity": "2",
        "amount": {"value": "50.00", "currency": "RUB"},
        "vat_code": 11,
        "payment_mode": "full_prepayment",
        "payment_subject": "commodity",
    }
    item.update(overrides)
    return item


def _payment_body(**overrides):
    body = {
        "amount": {"value": "100.00", "currency": "RUB"},
        "confirmation": {"type": "redirect", "return_url": "http://127.0.0.1:5000/orders/M-7"},
        "capture": True,
        "description": "Заказ M-7",
        "receipt": {"customer": {"email": "buyer@example.ru"}, "items": [_item()]},
    }
    body.update(overrides)
    return body


def _create(api, standin, body=None, key="key-1"):
    return api.post(f"{standin.api_url}/payments", json=body or _payment_body(), headers={"Idempotence-Key": key})


def test_requests_without_basic_auth_are_refused(standin):
    response = requests.get(f"{standin.api_url}/payments", timeout=5)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_a_post_without_an_idempotence_key_is_refused(api, standin):
    response = api.post(f"{standin.api_url}/payments", json=_payment_body())

    assert response.status_code == 400
    assert response.json()["parameter"] == "Idempotence-Key"
    assert standin.payments == {}


def test_the_same_key_and_body_replays_and_a_different_body_is_refused(api, standin):
    first = _create(api, standin)
    replay = _create(api, standin)
    conflict = _create(api, standin, _payment_body(description="Заказ M-8"))

    assert replay.json() == first.json()
    assert conflict.status_code == 400
    assert len(standin.payments) == 1


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        (_payment_body(amount={"value": 100, "currency": "RUB"}), "amount.value"),
        (_payment_body(amount={"value": "100.001", "currency": "RUB"}), "amount.value"),
        (_payment_body(amount={"value": "100.00", "currency": "USD"}), "amount.currency"),
        (_payment_body(confirmation={"type": "embedded"}), "confirmation.type"),
        (_payment_body(description="x" * 129), "description"),
        (_payment_body(metadata={f"k{n}": "v" for n in range(17)}), "metadata"),
        (_payment_body(metadata={"k" * 33: "v"}), "metadata"),
        (_payment_body(metadata={"k": "v" * 513}), "metadata"),
        (_payment_body(receipt={"customer": {}, "items": [_item()]}), "receipt.customer"),
        (_payment_body(receipt={"customer": {"phone": "+7 900"}, "items": [_item()]}), "receipt.customer.phone"),
        (_payment_body(receipt={"customer": {"email": "a@b.ru"}, "items": []}), "receipt.items"),
        (
            _payment_body(
                amount={"value": "81.00", "currency": "RUB"},
                receipt={
                    "customer": {"email": "a@b.ru"},
                    "items": [_item(quantity="1", amount={"value": "1.00", "currency": "RUB"})] * 81,
                },
            ),
            "receipt.items",
        ),
        (_payment_body(receipt={"customer": {"email": "a@b.ru"}, "items": [_item(vat_code=13)]}), "vat_code"),
        (_payment_body(receipt={"customer": {"email": "a@b.ru"}, "items": [_item(vat_code=0)]}), "vat_code"),
        (_payment_body(receipt={"customer": {"email": "a@b.ru"}, "items": [_item(payment_mode=None)]}), "mode"),
        (_payment_body(receipt={"customer": {"email": "a@b.ru"}, "items": [_item(payment_subject="x")]}), "subject"),
        (_payment_body(receipt={"customer": {"email": "a@b.ru"}, "items": [_item(description="д" * 129)]}), "desc"),
        (_payment_body(receipt={"customer": {"email": "a@b.ru"}, "items": [_item(quantity="3")]}), "receipt"),
    ],
)
def test_invalid_payments_and_receipts_are_refused_with_the_parameter(api, standin, body, parameter):
    response = _create(api, standin, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert parameter in response.json()["parameter"]
    assert standin.payments == {}


def test_exactly_80_receipt_items_are_accepted(api, standin):
    items = [_item(quantity="1", amount={"value": "1.25", "currency": "RUB"})] * 80

    response = _create(
        api,
        standin,
        _payment_body(
            amount={"value": "100.00", "currency": "RUB"},
            receipt={"customer": {"phone": "79001234567"}, "items": items},
        ),
    )

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert response.json()["test"] is True
    assert response.json()["created_at"].endswith("Z")


def test_payments_are_listed_by_page_and_status(api, standin):
    for n in range(3):
        _create(api, standin, key=f"list-{n}")
    paid_id = next(iter(standin.payments))
    standin.pay(paid_id)

    first_page = api.get(f"{standin.api_url}/payments", params={"limit": 2}).json()
    second_page = api.get(
        f"{standin.api_url}/payments", params={"limit": 2, "cursor": first_page["next_cursor"]}
    ).json()
    succeeded = api.get(f"{standin.api_url}/payments", params={"status": "succeeded"}).json()

    assert len(first_page["items"]) == 2 and len(second_page["items"]) == 1
    assert "next_cursor" not in second_page
    assert [item["id"] for item in succeeded["items"]] == [paid_id]


def test_the_checkout_page_is_a_labelled_test_page_and_pay_redirects_to_the_shop(api, standin):
    payment = _create(api, standin).json()
    page = requests.get(payment["confirmation"]["confirmation_url"], timeout=5)

    assert page.status_code == 200
    assert "Тестовая оплата" in page.text
    assert "Оплатить" in page.text and "Отказаться" in page.text

    answer = requests.post(
        payment["confirmation"]["confirmation_url"], data={"action": "pay"}, allow_redirects=False, timeout=5
    )

    assert answer.status_code == 303
    assert answer.headers["Location"] == "http://127.0.0.1:5000/orders/M-7"
    assert api.get(f"{standin.api_url}/payments/{payment['id']}").json()["status"] == "succeeded"
    again = requests.get(payment["confirmation"]["confirmation_url"], timeout=5)
    assert "уже обработан" in again.text


def test_declining_on_the_checkout_page_cancels_the_payment(api, standin):
    payment = _create(api, standin).json()

    requests.post(
        payment["confirmation"]["confirmation_url"], data={"action": "decline"}, allow_redirects=False, timeout=5
    )

    found = api.get(f"{standin.api_url}/payments/{payment['id']}").json()
    assert found["status"] == "canceled"
    assert found["cancellation_details"]["party"] == "payment_network"


def test_status_changes_are_notified_and_retried_until_the_shop_answers_200(api, standin, shop):
    shop.statuses[:] = [500, 503]
    payment = _create(api, standin).json()

    StandInClient(standin.url).pay(payment["id"])
    assert standin.wait_for_notifications()

    attempts = StandInClient(standin.url).notifications()
    assert [(a["event"], a["attempt"], a["status"]) for a in attempts] == [
        ("payment.succeeded", 1, 500),
        ("payment.succeeded", 2, 503),
        ("payment.succeeded", 3, 200),
    ]
    assert shop.received[-1]["type"] == "notification"
    assert shop.received[-1]["object"]["id"] == payment["id"]
    assert shop.received[-1]["object"]["status"] == "succeeded"
    assert parse_notification(json.dumps(shop.received[-1])).object_id == payment["id"]


def test_notifications_stop_after_the_last_retry(api, standin, shop):
    shop.statuses[:] = [500] * 10
    payment = _create(api, standin).json()

    standin.pay(payment["id"])
    assert standin.wait_for_notifications()

    assert len(shop.received) == 4  # the first try and three retries


def test_duplicates_and_forged_bodies_can_be_sent_on_demand(api, standin, shop):
    payment = _create(api, standin).json()
    control = StandInClient(standin.url)

    control.send_notification(
        "payment.succeeded",
        payment["id"],
        times=3,
        overrides={"status": "succeeded", "amount": {"value": "1.00", "currency": "RUB"}},
    )
    assert standin.wait_for_notifications()

    assert len(shop.received) == 3
    assert {body["object"]["amount"]["value"] for body in shop.received} == {"1.00"}
    # The forgery lives only in the notification: the API still says pending and 100.00.
    real = api.get(f"{standin.api_url}/payments/{payment['id']}").json()
    assert (real["status"], real["amount"]["value"]) == ("pending", "100.00")


def test_refund_notifications_follow_payment_ones(api, standin, shop):
    payment = _create(api, standin).json()
    standin.pay(payment["id"])
    refund = api.post(
        f"{standin.api_url}/refunds",
        json={"payment_id": payment["id"], "amount": {"value": "40.00", "currency": "RUB"}},
        headers={"Idempotence-Key": "refund-1"},
    ).json()
    assert standin.wait_for_notifications()

    assert [body["event"] for body in shop.received] == ["payment.succeeded", "refund.succeeded"]
    assert shop.received[1]["object"]["id"] == refund["id"]
    listed = api.get(f"{standin.api_url}/refunds", params={"payment_id": payment["id"]}).json()
    assert [item["id"] for item in listed["items"]] == [refund["id"]]


def test_expiry_cancels_pending_and_held_payments(api, standin):
    pending = _create(api, standin, key="a").json()
    held = _create(api, standin, _payment_body(capture=False), key="b").json()
    standin.pay(held["id"])

    standin.expire(pending["id"])
    standin.expire(held["id"])

    reasons = [standin.payments[p["id"]]["cancellation_details"]["reason"] for p in (pending, held)]
    assert reasons == ["expired_on_confirmation", "expired_on_capture"]


def test_faults_are_injected_per_route_and_count(api, standin):
    control = StandInClient(standin.url)
    control.add_fault("429", "GET /payments/*", count=2)

    statuses = [api.get(f"{standin.api_url}/payments/unknown").status_code for _ in range(3)]

    assert statuses == [429, 429, 404]


def test_a_bad_control_request_is_a_clear_400(standin):
    response = requests.post(f"{standin.url}/_fake/faults", json={"kind": "meteor"}, timeout=5)

    assert response.status_code == 400
    assert "meteor" in response.json()["description"]


def test_the_stand_in_is_not_started_when_real_credentials_are_set():
    assert real_credentials_configured({"YOOKASSA_SHOP_ID": "123", "YOOKASSA_SECRET_KEY": "live_abc"})
    assert not real_credentials_configured({})
    assert not real_credentials_configured(
        {"YOOKASSA_SHOP_ID": "123", "YOOKASSA_SECRET_KEY": "x", "YOOKASSA_API_URL": "http://127.0.0.1:8765/v3"}
    )


def test_the_command_line_runs_the_stand_in_around_a_command(tmp_path):
    script = "import os, requests; r = requests.get(os.environ['YOOKASSA_API_URL'] + '/me', auth=(os.environ['YOOKASSA_SHOP_ID'], os.environ['YOOKASSA_SECRET_KEY']), timeout=5); print(r.status_code, r.json()['test'])"  # noqa: E501
    environment = {k: v for k, v in os.environ.items() if not k.startswith("YOOKASSA_")}

    result = subprocess.run(
        [sys.executable, "-m", "devtools.yookassa_standin", "--port", "0", "--", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert result.returncode == 0, result.stderr
    assert "TEST PAYMENTS ONLY" in result.stdout
    assert "200 True" in result.stdout


def test_with_real_credentials_the_command_runs_without_a_stand_in():
    environment = {**os.environ, "YOOKASSA_SHOP_ID": "123", "YOOKASSA_SECRET_KEY": "live_abc"}
    environment.pop("YOOKASSA_API_URL", None)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devtools.yookassa_standin",
            "--",
            sys.executable,
            "-c",
            "import os; print(os.environ['YOOKASSA_SECRET_KEY'])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert result.returncode == 0, result.stderr
    assert "stand-in is not started" in result.stdout
    assert "live_abc" in result.stdout


def test_notifications_can_come_from_a_chosen_loopback_address(shop):
    with StandIn(notify_url=shop.url, notify_source_address="127.0.0.2") as other:
        other.send_notification("payment.succeeded", "2c2a4a4b-000f-5000-9000-1a2b3c4d5e6f", overrides={})
        assert other.wait_for_notifications()

    assert shop.senders == ["127.0.0.2"]


def test_concurrent_requests_with_one_key_create_one_payment(standin):
    def create(_):
        with requests.Session() as session:
            session.auth = (standin.shop_id, standin.secret_key)
            return _create(session, standin, key="same-key").json()["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(create, range(16)))

    assert len(ids) == 1
    assert list(standin.payments) == list(ids)

"""The stand-in follows the API where it used to be lenient: ``measure`` on an FFD 1.2 shop, refunds that stay
pending and end succeeded or canceled, cancel only from ``waiting_for_capture``, 405 and 415, ``POST /v3/receipts``
and SBP. Raw HTTP where the SDK would not send the wrong thing; the SDK's Receipt API where it is the caller."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from yookassa import Configuration, Receipt

from devtools.yookassa_standin import StandIn, StandInClient
from storefront.payment import yookassa as yookassa_adapter


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn(ffd_version="1.2") as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(standin: StandIn) -> Iterator[None]:
    standin.reset()
    yield
    standin.reset()


@pytest.fixture
def api(standin: StandIn) -> Iterator[requests.Session]:
    session = requests.Session()
    session.auth = (standin.shop_id, standin.secret_key)
    yield session
    session.close()


@pytest.fixture
def control(standin: StandIn) -> StandInClient:
    return StandInClient(standin.url)


def _item(**overrides):
    item = {
        "description": "Кроссовки",
        "quantity": "2",
        "amount": {"value": "50.00", "currency": "RUB"},
        "vat_code": 11,
        "payment_mode": "full_prepayment",
        "payment_subject": "commodity",
        "measure": "piece",
    }
    item.update(overrides)
    return {k: v for k, v in item.items() if v is not None}


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


_keys = iter(range(10**6))


def _post(api, standin, path, body, key=None):
    return api.post(f"{standin.api_url}{path}", json=body, headers={"Idempotence-Key": key or f"k-{next(_keys)}"})


def _paid(api, standin, **overrides) -> str:
    payment = _post(api, standin, "/payments", _payment_body(**overrides)).json()
    standin.pay(payment["id"])
    return payment["id"]


# ----- measure (tag 2108) ----------------------------------------------------------------------------


def test_an_ffd_12_shop_refuses_receipt_items_without_measure(api, standin, control):
    missing = _post(
        api,
        standin,
        "/payments",
        _payment_body(receipt={"customer": {"email": "b@example.ru"}, "items": [_item(measure=None)]}),
    )
    unknown = _post(
        api,
        standin,
        "/payments",
        _payment_body(receipt={"customer": {"email": "b@example.ru"}, "items": [_item(measure="bucket")]}),
    )

    assert missing.status_code == 400 and missing.json()["parameter"] == "receipt.items[0].measure"
    assert unknown.status_code == 400 and unknown.json()["parameter"] == "receipt.items[0].measure"
    control.configure(ffd_version="1.05")  # an FFD 1.05 till does not know the tag
    body = _payment_body(receipt={"customer": {"email": "b@example.ru"}, "items": [_item(measure=None)]})
    assert _post(api, standin, "/payments", body).status_code == 200


# ----- refunds end asynchronously ---------------------------------------------------------------------


def test_a_pending_refund_holds_its_amount_and_a_canceled_one_releases_it(api, standin, control):
    payment_id = _paid(api, standin)
    control.configure(refund_outcome="pending")

    first = _post(api, standin, "/refunds", {"payment_id": payment_id, "amount": {"value": "60.00", "currency": "RUB"}})
    beyond = _post(
        api, standin, "/refunds", {"payment_id": payment_id, "amount": {"value": "40.01", "currency": "RUB"}}
    )

    assert first.json()["status"] == "pending"
    assert beyond.status_code == 400 and beyond.json()["parameter"] == "amount.value"
    canceled = control.settle_refund(first.json()["id"], "canceled", "insufficient_funds")
    assert canceled["status"] == "canceled"
    assert canceled["cancellation_details"] == {"party": "refund_network", "reason": "insufficient_funds"}
    assert api.get(f"{standin.api_url}/payments/{payment_id}").json()["refunded_amount"]["value"] == "0.00"
    again = _post(
        api, standin, "/refunds", {"payment_id": payment_id, "amount": {"value": "100.00", "currency": "RUB"}}
    )
    assert again.status_code == 200
    with pytest.raises(Exception, match="not pending"):
        control.settle_refund(first.json()["id"], "succeeded")


@pytest.mark.parametrize(("outcome", "final"), [("pending_succeeded", "succeeded"), ("pending_canceled", "canceled")])
def test_a_refund_answered_pending_is_final_when_next_read(api, standin, control, outcome, final):
    payment_id = _paid(api, standin)
    control.configure(refund_outcome=outcome)

    created = _post(
        api, standin, "/refunds", {"payment_id": payment_id, "amount": {"value": "30.00", "currency": "RUB"}}
    )

    assert created.json()["status"] == "pending"
    fetched = api.get(f"{standin.api_url}/refunds/{created.json()['id']}").json()
    assert fetched["status"] == final
    refunded = api.get(f"{standin.api_url}/payments/{payment_id}").json()["refunded_amount"]["value"]
    assert refunded == ("30.00" if final == "succeeded" else "0.00")


def test_refunds_succeed_at_once_by_default_and_reset_restores_the_configured_outcome(api, standin, control):
    control.configure(refund_outcome="pending")
    standin.reset()
    payment_id = _paid(api, standin)
    done = _post(api, standin, "/refunds", {"payment_id": payment_id, "amount": {"value": "30.00", "currency": "RUB"}})
    assert done.json()["status"] == "succeeded"


# ----- cancel, 405, 415 ----------------------------------------------------------------------------


def test_only_a_held_payment_can_be_canceled(api, standin):
    pending = _post(api, standin, "/payments", _payment_body(capture=False)).json()
    succeeded = _paid(api, standin)
    held = _post(api, standin, "/payments", _payment_body(capture=False)).json()
    standin.pay(held["id"])

    refused = [_post(api, standin, f"/payments/{pid}/cancel", {}) for pid in (pending["id"], succeeded)]
    canceled = _post(api, standin, f"/payments/{held['id']}/cancel", {})

    assert [r.status_code for r in refused] == [400, 400]
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["cancellation_details"]["reason"] == "canceled_by_merchant"


def test_a_wrong_method_gets_405_and_a_wrong_content_type_415(api, standin):
    payment_id = _paid(api, standin)

    get_cancel = api.get(f"{standin.api_url}/payments/{payment_id}/cancel")
    put_payment = api.put(f"{standin.api_url}/payments/{payment_id}", json={})
    delete_refunds = api.delete(f"{standin.api_url}/refunds")
    form = api.post(
        f"{standin.api_url}/refunds",
        data={"payment_id": payment_id},
        headers={"Idempotence-Key": "form-1", "Content-Type": "application/x-www-form-urlencoded"},
    )
    unknown_path = api.get(f"{standin.api_url}/nothing-here")

    assert get_cancel.status_code == 405 and get_cancel.headers["Allow"] == "POST"
    assert put_payment.status_code == 405 and put_payment.headers["Allow"] == "GET"
    assert delete_refunds.status_code == 405 and delete_refunds.headers["Allow"] == "GET, POST"
    assert form.status_code == 415
    assert unknown_path.status_code == 404
    assert standin.refunds == {}


# ----- POST /v3/receipts -----------------------------------------------------------------------------


def _closing(paid_id: str, **overrides):
    body = {
        "type": "payment",
        "send": True,
        "payment_id": paid_id,
        "customer": {"email": "buyer@example.ru"},
        "items": [_item(payment_mode="full_payment")],
        "settlements": [{"type": "prepayment", "amount": {"value": "100.00", "currency": "RUB"}}],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"type": "correction"}, "type"),
        ({"send": False}, "send"),
        ({"payment_id": None}, "payment_id"),
        ({"settlements": []}, "settlements"),
        (
            {"settlements": [{"type": "barter", "amount": {"value": "100.00", "currency": "RUB"}}]},
            "settlements[0].type",
        ),
        ({"settlements": [{"type": "prepayment", "amount": {"value": "99.00", "currency": "RUB"}}]}, "settlements"),
        ({"items": [_item(payment_mode="full_prepayment")]}, "items[0].payment_mode"),
        ({"items": [_item(payment_mode="full_payment", measure=None)]}, "receipt.items[0].measure"),
        ({"customer": {}}, "receipt.customer"),
    ],
)
def test_the_receipts_endpoint_checks_its_rules(api, standin, overrides, parameter):
    payment_id = _paid(api, standin)

    response = _post(api, standin, "/receipts", _closing(payment_id, **overrides))

    assert response.status_code == 400 and response.json()["parameter"] == parameter
    assert standin.receipts == {}


def test_a_closing_receipt_through_the_sdk_is_made_once_per_key_and_only_for_a_succeeded_payment(api, standin):
    payment_id = _paid(api, standin)
    pending = _post(api, standin, "/payments", _payment_body()).json()
    Configuration.configure(standin.shop_id, standin.secret_key, api_url=standin.api_url)
    try:
        first = Receipt.create(_closing(payment_id), "closing-1")
        again = Receipt.create(_closing(payment_id), "closing-1")
        refused = _post(api, standin, "/receipts", _closing(pending["id"]))
    finally:
        yookassa_adapter._configured = None  # the shop's adapter configures the SDK again on its next call

    assert first.id == again.id and first.status == "succeeded" and len(standin.receipts) == 1
    assert first.settlements[0].type == "prepayment"
    assert refused.status_code == 400 and refused.json()["parameter"] == "payment_id"
    listed = api.get(f"{standin.api_url}/receipts", params={"payment_id": payment_id}).json()["items"]
    assert [r["id"] for r in listed] == [first.id]
    assert api.get(f"{standin.api_url}/receipts/{first.id}").json()["type"] == "payment"


# ----- SBP ---------------------------------------------------------------------------------------------


def test_an_sbp_payment_is_one_stage_shows_a_qr_page_and_reports_sbp_when_paid(api, standin):
    two_stage = _post(api, standin, "/payments", _payment_body(capture=False, payment_method_data={"type": "sbp"}))
    unknown = _post(api, standin, "/payments", _payment_body(payment_method_data={"type": "cash_on_moon"}))
    qr_for_card = _post(api, standin, "/payments", _payment_body(confirmation={"type": "qr"}))
    sbp = _post(api, standin, "/payments", _payment_body(payment_method_data={"type": "sbp"})).json()
    qr = _post(
        api, standin, "/payments", _payment_body(payment_method_data={"type": "sbp"}, confirmation={"type": "qr"})
    )

    assert two_stage.status_code == 400 and two_stage.json()["parameter"] == "capture"
    assert unknown.status_code == 400 and unknown.json()["parameter"] == "payment_method_data.type"
    assert qr_for_card.status_code == 400 and qr_for_card.json()["parameter"] == "confirmation.type"
    assert qr.json()["confirmation"]["type"] == "qr" and qr.json()["confirmation"]["confirmation_data"]
    page = requests.get(sbp["confirmation"]["confirmation_url"], timeout=5).text
    assert "Оплата через СБП" in page and "data:image/svg+xml" in page and "Открыть приложение банка" in page

    paid = standin.pay(sbp["id"])

    assert paid["status"] == "succeeded" and paid["payment_method"]["type"] == "sbp"
    assert paid["payment_method"]["sbp_operation_id"]
    assert Decimal(paid["amount"]["value"]) == Decimal("100.00")

"""A notification body yields only an event and an object id; anything else about it is refused."""

import json

import pytest

from storefront.payment.notifications import MalformedNotification, parse_notification

PAYMENT_ID = "2c2a4a4b-000f-5000-9000-1a2b3c4d5e6f"


def _body(**overrides):
    body = {"type": "notification", "event": "payment.succeeded", "object": {"id": PAYMENT_ID, "status": "succeeded"}}
    body.update(overrides)
    return json.dumps(body)


def test_a_payment_notification_gives_its_event_and_payment_id():
    notification = parse_notification(_body())

    assert (notification.event, notification.object_kind, notification.object_id) == (
        "payment.succeeded",
        "payment",
        PAYMENT_ID,
    )
    assert notification.is_handled


def test_a_refund_notification_names_the_refund():
    notification = parse_notification(_body(event="refund.succeeded", object={"id": "r-1", "payment_id": PAYMENT_ID}))

    assert (notification.object_kind, notification.object_id) == ("refund", "r-1")


def test_events_we_do_not_handle_still_parse():
    notification = parse_notification(_body(event="payout.succeeded"))

    assert not notification.is_handled


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        json.dumps({"event": "payment.succeeded", "object": {"id": PAYMENT_ID}}),
        _body(event=None),
        _body(event="payment succeeded"),
        _body(object=None),
        _body(object={"status": "succeeded"}),
        _body(object={"id": "../../refunds"}),
        _body(object={"id": 42}),
        b" " * (256 * 1024 + 1),
        b"[" * 200_000,  # json.loads recursed until RecursionError: a 500 instead of a 400
        b'{"type": "notification", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"type": "notification", "amount": NaN}',
    ],
)
def test_malformed_bodies_are_refused(body):
    with pytest.raises(MalformedNotification):
        parse_notification(body)

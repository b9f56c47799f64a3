"""Reading a YooKassa notification body: only its event and object id are ever used.

Notifications are not signed, so the body is a hint ("look at payment X"), never evidence: the
handler re-fetches the object by id through the API and acts on the fetched state alone. This
module only checks the shape and extracts the id; a malformed body raises
``MalformedNotification`` (answer 400). Events we do not handle parse fine and are ignored by
the caller (answer 200), because YooKassa redelivers anything not answered 200 for 24 hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from storefront.errors import ShopError
from storefront.input_bounds import JSONRefused, load_json

PAYMENT_WAITING_FOR_CAPTURE = "payment.waiting_for_capture"
PAYMENT_SUCCEEDED = "payment.succeeded"
PAYMENT_CANCELED = "payment.canceled"
REFUND_SUCCEEDED = "refund.succeeded"
HANDLED_EVENTS = frozenset({PAYMENT_WAITING_FOR_CAPTURE, PAYMENT_SUCCEEDED, PAYMENT_CANCELED, REFUND_SUCCEEDED})
#: A real notification is a few kilobytes; anything far larger is not one.
MAX_BODY_BYTES = 256 * 1024
#: A real one nests five or six levels (object → receipt → items → item → amount).
MAX_DEPTH = 32

_EVENT = re.compile(r"^[a-z_]{1,32}\.[a-z_]{1,48}$")
_OBJECT_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


class MalformedNotification(ShopError):
    """The body is not a YooKassa notification."""


@dataclass(frozen=True)
class Notification:
    event: str
    object_kind: str  # "payment", "refund", ...
    object_id: str
    #: The body as received, for the notification log (never for decisions).
    raw: dict[str, Any]

    @property
    def is_handled(self) -> bool:
        return self.event in HANDLED_EVENTS


def parse_notification(body: bytes | str) -> Notification:
    try:
        data = load_json(body, MAX_BODY_BYTES, MAX_DEPTH)
    except JSONRefused as refused:
        reason = {"size": "the body is too large", "depth": "the body is nested too deeply"}.get(refused.reason)
        raise MalformedNotification(reason or "the body is not JSON") from None
    if not isinstance(data, dict) or data.get("type") != "notification":
        raise MalformedNotification('the body is not {"type": "notification", ...}')
    event = data.get("event")
    if not isinstance(event, str) or not _EVENT.match(event):
        raise MalformedNotification("the event is missing or malformed")
    obj = data.get("object")
    if not isinstance(obj, dict):
        raise MalformedNotification("the object is missing")
    object_id = obj.get("id")
    if not isinstance(object_id, str) or not _OBJECT_ID.match(object_id):
        raise MalformedNotification("the object id is missing or malformed")
    return Notification(event, event.split(".", 1)[0], object_id, data)

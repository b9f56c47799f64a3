"""A YooKassa API v3 stand-in: a real HTTP server on 127.0.0.1 for tests and the offline demo.

Speaks the subset of API v3 the storefront uses (payments by card or SBP, capture, cancel, refunds that end
asynchronously, receipts, ``/me``) with Basic auth and Idempotence-Key semantics, and follows the API reference
where it is strict (each rule cites it: ``measure`` on an FFD 1.2 till, cancel only from ``waiting_for_capture``,
405 and 415). It serves a Russian test confirmation page at ``/checkout/<id>`` (a QR and a bank-app link for
SBP), sends notifications to the shop, and takes test-control requests under ``/_fake/...`` (buyer pays or
declines, refunds settle, fault injection, request log, reset). All state is in memory.
It is a test/dev tool: the storefront never starts it when real YooKassa credentials are set.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import fnmatch
import html
import json
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import segno

from devtools.yookassa_standin import validation as v
from devtools.yookassa_standin.webhooks import DEFAULT_RETRY_DELAYS, Delivery, WebhookSender

DEFAULT_SHOP_ID = "100500"
DEFAULT_SECRET_KEY = "test_standin_secret_key"
FAULT_KINDS = ("500", "429", "202", "404", "400", "html_502", "hang", "slow", "drop")
#: How a new refund ends (``refund_outcome``). The API answers a refund ``pending`` and finishes it later as
#: ``succeeded`` or ``canceled`` (API reference «Объект возврата → status»: «pending — возврат создан, но пока
#: еще обрабатывается»): ``succeeded`` = at once; ``pending`` = until a test settles it (``settle_refund``);
#: ``pending_succeeded`` / ``pending_canceled`` = pending in the create's answer, final on the next read.
REFUND_OUTCOMES = ("succeeded", "pending", "pending_succeeded", "pending_canceled")
#: FFD versions of the shop's till: on 1.2 (and with «Чеки от ЮKassa») ``measure`` (tag 2108) is required.
FFD_VERSIONS = ("1.05", "1.2")
#: A refund the bank turned down (API reference «Неуспешные возвраты → cancellation_details»).
REFUND_DECLINE_REASON = "rejected_by_payee"
HOLD_DAYS = 7
#: «Отказаться» on the test page: the bank declines (a real buyer who leaves expires after an hour).
DECLINE_REASON = "general_decline"


def _now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _new_id() -> str:
    """YooKassa-looking object ids: ``2c2a4a4b-000f-5000-9000-1a2b3c4d5e6f``."""
    return f"{secrets.token_hex(4)}-000f-5000-9000-{secrets.token_hex(6)}"


def _money(value: Decimal) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": "RUB"}


@dataclass
class Reply:
    status: int
    body: Any = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False).encode()


def _error(status: int, code: str, description: str, parameter: str | None = None) -> Reply:
    body: dict[str, Any] = {"type": "error", "id": _new_id(), "code": code, "description": description}
    if parameter:
        body["parameter"] = parameter
    return Reply(status, body)


@dataclass
class Fault:
    """Injected failure for requests whose ``"METHOD /path"`` (without ``/v3``) matches ``route``."""

    kind: str
    route: str = "*"
    count: int = 1  # how many requests it hits; -1 = until cleared
    after_commit: bool = False  # 500/drop only: do the work (and remember the key) first
    seconds: float = 60.0  # hang/slow
    parameter: str | None = None  # 400

    def matches(self, method: str, path: str) -> bool:
        return self.count != 0 and fnmatch.fnmatchcase(f"{method} {path}", self.route)


@dataclass
class StoredReply:
    method: str
    path: str
    body: Any
    reply: Reply
    stored_at: float = field(default_factory=time.monotonic)


class StandIn:
    """The stand-in server. ``start()`` binds 127.0.0.1 (port 0 = any free port)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        shop_id: str = DEFAULT_SHOP_ID,
        secret_key: str = DEFAULT_SECRET_KEY,
        notify_url: str | None = None,
        notify_source_address: str | None = None,
        webhook_retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        require_receipt: bool = False,
        idempotence_conflict_status: int = 400,
        auto_notify: bool = True,
        certfile: str | None = None,
        keyfile: str | None = None,
        idempotence_ttl_seconds: float = 24 * 3600,
        ffd_version: str = "1.05",
        refund_outcome: str = "succeeded",
    ) -> None:
        self.host = host
        self.port = port
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.notify_url = notify_url
        self.require_receipt = require_receipt
        self.idempotence_conflict_status = idempotence_conflict_status
        self.auto_notify = auto_notify
        #: HTTPS mode (self-signed cert; the SDK then needs ``verify=<ca path>``). The SDK retries 202 only over HTTPS.
        self.certfile = certfile
        self.keyfile = keyfile
        self.idempotence_ttl_seconds = idempotence_ttl_seconds
        if ffd_version not in FFD_VERSIONS or refund_outcome not in REFUND_OUTCOMES:
            raise ValueError(f"ffd_version is one of {FFD_VERSIONS}, refund_outcome one of {REFUND_OUTCOMES}")
        self.ffd_version = ffd_version
        self.refund_outcome = refund_outcome
        #: What ``reset()`` returns them to (tests change them through ``/_fake/config``).
        self._configured = (ffd_version, refund_outcome)
        self.webhooks = WebhookSender(webhook_retry_delays, source_address=notify_source_address)
        self._lock = threading.RLock()
        self._release_hangs = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._reset_state()

    # ----- lifecycle ---------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.receipts: dict[str, dict[str, Any]] = {}
        #: Refund id → the status it reaches when next read (``pending_succeeded``/``pending_canceled``).
        self._due_refunds: dict[str, str] = {}
        self.idempotence: dict[str, StoredReply] = {}
        self.request_log: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.decline_on_create: list[str] = []

    def start(self) -> StandIn:
        handler = type("BoundHandler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        if self.certfile:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.certfile, self.keyfile)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="yookassa-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release_hangs.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.webhooks.stop()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def ffd12(self) -> bool:
        return self.ffd_version == "1.2"

    @property
    def url(self) -> str:
        scheme = "https" if self.certfile else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v3"

    def reset(self) -> None:
        """Forget every payment, refund, receipt, key, fault, logged request and notification; the FFD version and
        the refund outcome go back to the constructor's."""
        with self._lock:
            self.ffd_version, self.refund_outcome = self._configured
            self._release_hangs.set()
            self._release_hangs = threading.Event()
            self._reset_state()
        self.webhooks.clear()

    # ----- test control (also reachable over HTTP under /_fake/) -------------------------------

    def add_fault(self, kind: str, route: str = "*", **options: Any) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
        fault = Fault(kind, route, **options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def decline_next_payment(self, reason: str = "card_expired") -> None:
        """The next created payment is canceled at once (as YooKassa does for e.g. a saved card)."""
        with self._lock:
            self.decline_on_create.append(reason)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def pay(self, payment_id: str, payment_method: str = "bank_card") -> dict[str, Any]:
        """The buyer pays: ``succeeded`` (capture=true) or ``waiting_for_capture`` (two-stage)."""
        with self._lock:
            payment = self._payment(payment_id)
            if payment["status"] != "pending":
                raise v.ApiRefusal(f"payment is {payment['status']}, not pending", "status")
            payment["paid"] = True
            if payment.get("_method"):
                payment_method = payment["_method"]  # chosen by the shop in payment_method_data
            payment["payment_method"] = (
                {
                    "type": payment_method,
                    "id": payment_id,
                    "saved": False,
                    "title": "Bank card *4444",
                    "card": {
                        "first6": "555555",
                        "last4": "4444",
                        "expiry_month": "12",
                        "expiry_year": "2030",
                        "card_type": "MasterCard",
                    },
                }
                if payment_method == "bank_card"
                else {"type": payment_method, "id": payment_id, "saved": False}
            )
            if payment_method == "sbp":
                # API reference, PaymentMethodSbp: the operation id in the NSPK and the payer's bank.
                payment["payment_method"]["title"] = "СБП"
                payment["payment_method"]["sbp_operation_id"] = secrets.token_hex(16).upper()
                payment["payment_method"]["payer_bank_details"] = {"bank_id": "100000000111", "bic": "044525225"}
            payment["authorization_details"] = {"rrn": secrets.token_hex(6), "auth_code": secrets.token_hex(3)}
            if payment["_capture"]:
                self._succeed(payment, Decimal(payment["amount"]["value"]))
                self._notify("payment.succeeded", payment)
            else:
                payment["status"] = "waiting_for_capture"
                payment["expires_at"] = _timestamp(_now() + timedelta(days=HOLD_DAYS))
                self._notify("payment.waiting_for_capture", payment)
            return self.public_payment(payment)

    def fail(self, payment_id: str, reason: str = "insufficient_funds") -> dict[str, Any]:
        """The buyer's bank declines (or the buyer gives up): ``canceled`` by the payment network."""
        with self._lock:
            payment = self._payment(payment_id)
            if payment["status"] != "pending":
                raise v.ApiRefusal(f"payment is {payment['status']}, not pending", "status")
            party = "yoo_money" if reason in {"expired_on_confirmation", "fraud_suspected"} else "payment_network"
            self._cancel(payment, party, reason)
            return self.public_payment(payment)

    def expire(self, payment_id: str) -> dict[str, Any]:
        """Time runs out: pending → ``expired_on_confirmation``, held → ``expired_on_capture``."""
        with self._lock:
            payment = self._payment(payment_id)
            if payment["status"] == "pending":
                self._cancel(payment, "yoo_money", "expired_on_confirmation")
            elif payment["status"] == "waiting_for_capture":
                self._cancel(payment, "yoo_money", "expired_on_capture")
            else:
                raise v.ApiRefusal(f"payment is {payment['status']}, it cannot expire", "status")
            return self.public_payment(payment)

    def send_notification(
        self, event: str, object_id: str, *, times: int = 1, overrides: dict[str, Any] | None = None
    ) -> None:
        """Send an event about an object now, ``times`` times, optionally with altered (forged) fields.

        The object's current state is sent whatever ``event`` says, so out-of-order and stale
        events are easy to produce; ``overrides`` replace top-level fields of the sent object.
        """
        with self._lock:
            if object_id in self.payments:
                body_object = self.public_payment(self.payments[object_id])
            elif object_id in self.refunds:
                body_object = copy.deepcopy(self.refunds[object_id])
            elif overrides is not None:
                body_object = {"id": object_id}
            else:
                raise v.ApiRefusal("no such payment or refund", "object_id", status=404, code="not_found")
            body_object.update(copy.deepcopy(overrides or {}))
            for _ in range(times):
                self._enqueue_notification(event, body_object, retry=False)

    def payment_record(self, payment_id: str) -> dict[str, Any]:
        """Everything the stand-in knows about a payment, receipt and idempotence key included."""
        with self._lock:
            return copy.deepcopy(self._payment(payment_id))

    def wait_for_notifications(self, timeout: float = 10.0) -> bool:
        return self.webhooks.wait_idle(timeout)

    # ----- payments ----------------------------------------------------------------------------

    def _payment(self, payment_id: str) -> dict[str, Any]:
        try:
            return self.payments[payment_id]
        except KeyError:
            raise v.ApiRefusal(f"payment {payment_id} not found", "payment_id", status=404, code="not_found") from None

    def public_payment(self, payment: dict[str, Any]) -> dict[str, Any]:
        return {key: copy.deepcopy(value) for key, value in payment.items() if not key.startswith("_")}

    def _notify(self, event: str, obj: dict[str, Any]) -> None:
        if self.auto_notify:
            public = self.public_payment(obj) if "_capture" in obj else copy.deepcopy(obj)
            self._enqueue_notification(event, public, retry=True)

    def _enqueue_notification(self, event: str, obj: dict[str, Any], *, retry: bool) -> None:
        if not self.notify_url:
            return
        body = {"type": "notification", "event": event, "object": obj}
        self.webhooks.enqueue(Delivery(event, body, self.notify_url, retry=retry))

    def _succeed(self, payment: dict[str, Any], amount: Decimal) -> None:
        payment["status"] = "succeeded"
        payment["paid"] = True
        payment["amount"] = _money(amount)
        payment["income_amount"] = _money((amount * Decimal("0.965")).quantize(Decimal("0.01")))
        payment["captured_at"] = _timestamp(_now())
        payment["refundable"] = True
        payment["refunded_amount"] = _money(Decimal(0))
        payment.pop("expires_at", None)
        if payment.get("_receipt"):
            payment["receipt_registration"] = "succeeded"

    def _cancel(self, payment: dict[str, Any], party: str, reason: str) -> None:
        payment["status"] = "canceled"
        payment["paid"] = False
        payment["refundable"] = False
        payment.pop("expires_at", None)
        payment["cancellation_details"] = {"party": party, "reason": reason}
        if payment.get("_receipt"):
            payment["receipt_registration"] = "canceled"
        self._notify("payment.canceled", payment)

    def create_payment(self, body: dict[str, Any], key: str) -> Reply:
        amount = v.parse_amount(body.get("amount"))
        capture = body.get("capture", False)
        if not isinstance(capture, bool):
            raise v.ApiRefusal("capture must be true or false", "capture")
        method = v.check_payment_method_data(body.get("payment_method_data"), capture)
        confirmation = v.check_confirmation(body.get("confirmation"), method)
        v.check_description(body.get("description"))
        v.check_metadata(body.get("metadata"))
        receipt = body.get("receipt")
        if receipt is not None:
            v.check_receipt(receipt, amount, ffd12=self.ffd12)
        elif self.require_receipt:
            raise v.ApiRefusal("Receipt is missing or illegal", "receipt")
        payment_id = _new_id()
        payment: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": _money(amount),
            "recipient": {"account_id": self.shop_id, "gateway_id": "100700"},
            "created_at": _timestamp(_now()),
            "confirmation": self._confirmation(payment_id, confirmation),
            "test": True,
            "refundable": False,
            "metadata": dict(body.get("metadata") or {}),
            "_capture": capture,
            "_receipt": copy.deepcopy(receipt),
            "_idempotence_key": key,
            "_return_url": confirmation.get("return_url", ""),
            "_method": method,
        }
        if body.get("description") is not None:
            payment["description"] = body["description"]
        if receipt is not None:
            payment["receipt_registration"] = "pending"
        self.payments[payment_id] = payment
        if self.decline_on_create:
            self._cancel(payment, "payment_network", self.decline_on_create.pop(0))
        return Reply(200, self.public_payment(payment))

    def _confirmation(self, payment_id: str, requested: dict[str, Any]) -> dict[str, Any]:
        """A redirect to the (test) payment page; for ``qr`` the payload a banking app reads (an NSPK link)."""
        if requested["type"] == "qr":
            return {"type": "qr", "confirmation_data": self.sbp_link(payment_id)}
        return {
            "type": "redirect",
            "return_url": requested["return_url"],
            "confirmation_url": f"{self.url}/checkout/{payment_id}",
        }

    def sbp_link(self, payment_id: str) -> str:
        """What the SBP QR holds: a link that a phone opens in the buyer's banking app (here: the test page)."""
        return f"{self.url}/checkout/{payment_id}?sbp=app"

    def capture_payment(self, payment_id: str, body: dict[str, Any]) -> Reply:
        payment = self._payment(payment_id)
        if payment["status"] != "waiting_for_capture":
            raise v.ApiRefusal(f"payment is {payment['status']}; only waiting_for_capture can be captured", "status")
        held = Decimal(payment["amount"]["value"])
        amount = v.parse_amount(body["amount"]) if body.get("amount") is not None else held
        if amount > held:
            raise v.ApiRefusal("the captured amount exceeds the held amount", "amount.value")
        if body.get("receipt") is not None:
            v.check_receipt(body["receipt"], amount, ffd12=self.ffd12)
            payment["_receipt"] = copy.deepcopy(body["receipt"])
        elif amount != held and self.require_receipt:
            raise v.ApiRefusal("a partial capture needs a receipt for the captured amount", "receipt")
        self._succeed(payment, amount)
        self._notify("payment.succeeded", payment)
        return Reply(200, self.public_payment(payment))

    def cancel_payment(self, payment_id: str) -> Reply:
        payment = self._payment(payment_id)
        # API reference «Отмена платежа»: «Отменяет платеж, находящийся в статусе waiting_for_capture»; a pending
        # payment is not the shop's to cancel (it expires), a succeeded one is refunded instead.
        if payment["status"] != "waiting_for_capture":
            raise v.ApiRefusal(f"payment is {payment['status']}; only waiting_for_capture can be canceled", "status")
        self._cancel(payment, "merchant", "canceled_by_merchant")
        return Reply(200, self.public_payment(payment))

    def list_objects(self, objects: list[dict[str, Any]], query: dict[str, str]) -> Reply:
        try:
            limit = int(query.get("limit", "10"))
            offset = int(query.get("cursor") or "0")
        except ValueError:
            return _error(400, "invalid_request", "limit and cursor must be numbers", "limit")
        if not 1 <= limit <= 100 or offset < 0:
            return _error(400, "invalid_request", "limit must be 1 to 100", "limit")
        if "status" in query:
            objects = [item for item in objects if item["status"] == query["status"]]
        if "payment_id" in query:
            objects = [item for item in objects if item.get("payment_id") == query["payment_id"]]
        ordered = sorted(objects, key=lambda item: item["created_at"], reverse=True)
        page = ordered[offset : offset + limit]
        body: dict[str, Any] = {"type": "list", "items": page}
        if offset + limit < len(ordered):
            body["next_cursor"] = str(offset + limit)
        return Reply(200, body)

    # ----- refunds -----------------------------------------------------------------------------

    def create_refund(self, body: dict[str, Any]) -> Reply:
        payment_id = body.get("payment_id")
        if not isinstance(payment_id, str) or payment_id not in self.payments:
            raise v.ApiRefusal("payment_id is missing or unknown", "payment_id")
        payment = self.payments[payment_id]
        amount = v.parse_amount(body.get("amount"))
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 250):
            raise v.ApiRefusal("description may have at most 250 characters", "description")
        if payment["status"] != "succeeded":
            raise v.ApiRefusal(f"payment is {payment['status']}; only succeeded payments are refunded", "payment_id")
        paid = Decimal(payment["amount"]["value"])
        refunded = Decimal(payment["refunded_amount"]["value"])
        # A pending refund holds its amount: the API refuses refunds beyond «сумма платежа − возвращено» and a
        # refund still in progress cannot be refunded twice (the reservation itself is the stand-in's reading).
        reserved = sum(
            (
                Decimal(r["amount"]["value"])
                for r in self.refunds.values()
                if r["payment_id"] == payment_id and r["status"] == "pending"
            ),
            Decimal(0),
        )
        if amount > paid - refunded - reserved:
            raise v.ApiRefusal(
                f"the refund {amount:.2f} exceeds what is left to refund ({paid - refunded - reserved:.2f})",
                "amount.value",
            )
        if body.get("receipt") is not None:
            v.check_receipt(body["receipt"], amount, ffd12=self.ffd12)
        elif self.require_receipt:
            raise v.ApiRefusal("Receipt is missing or illegal", "receipt")
        refund: dict[str, Any] = {
            "id": _new_id(),
            "payment_id": payment_id,
            "status": "pending",
            "amount": _money(amount),
            "created_at": _timestamp(_now()),
        }
        if description is not None:
            refund["description"] = description
        if body.get("receipt") is not None:
            refund["receipt_registration"] = "pending"
        self.refunds[refund["id"]] = refund
        outcome = self.refund_outcome
        if outcome == "succeeded":
            self._finish_refund(refund, "succeeded")
        elif outcome != "pending":
            self._due_refunds[refund["id"]] = outcome.removeprefix("pending_")
        return Reply(200, self._public_refund(refund))

    def _public_refund(self, refund: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(refund)

    def _finish_refund(self, refund: dict[str, Any], status: str, reason: str = REFUND_DECLINE_REASON) -> None:
        """pending → ``succeeded`` (the payment's ``refunded_amount`` grows; ``refund.succeeded`` is sent) or
        ``canceled`` (nothing is refunded). The API has no ``refund.canceled`` event (its event list and the SDK's
        ``WebhookNotificationEventType`` hold only ``refund.succeeded``): a canceled refund is found by asking."""
        if refund["status"] != "pending":
            raise v.ApiRefusal(f"refund is {refund['status']}, not pending", "status")
        self._due_refunds.pop(refund["id"], None)
        payment = self.payments[refund["payment_id"]]
        refund["status"] = status
        if status == "succeeded":
            refunded = Decimal(payment["refunded_amount"]["value"]) + Decimal(refund["amount"]["value"])
            payment["refunded_amount"] = _money(refunded)
            if refunded == Decimal(payment["amount"]["value"]):
                payment["refundable"] = False
            if "receipt_registration" in refund:
                refund["receipt_registration"] = "succeeded"
            self._notify("refund.succeeded", refund)
        else:
            refund["cancellation_details"] = {"party": "refund_network", "reason": reason}
            if "receipt_registration" in refund:
                refund["receipt_registration"] = "canceled"

    def settle_refund(self, refund_id: str, status: str, reason: str = REFUND_DECLINE_REASON) -> dict[str, Any]:
        """Test control: a pending refund ends ``succeeded`` or ``canceled`` now."""
        if status not in {"succeeded", "canceled"}:
            raise v.ApiRefusal("status must be succeeded or canceled", "status")
        with self._lock:
            refund = self._refund(refund_id)
            self._finish_refund(refund, status, reason)
            return self._public_refund(refund)

    def _refund(self, refund_id: str) -> dict[str, Any]:
        if refund_id not in self.refunds:
            raise v.ApiRefusal(f"refund {refund_id} not found", "refund_id", status=404, code="not_found")
        return self.refunds[refund_id]

    def _settle_due_refunds(self) -> None:
        """Refunds created under ``pending_succeeded``/``pending_canceled`` reach their outcome when next read."""
        for refund_id, status in list(self._due_refunds.items()):
            self._finish_refund(self.refunds[refund_id], status)

    # ----- receipts ----------------------------------------------------------------------------

    def create_receipt(self, body: dict[str, Any]) -> Reply:
        """``POST /v3/receipts`` (API reference «Создание чека»): e.g. the closing receipt (чек зачёта
        предоплаты) when prepaid goods are handed over. Validation: ``validation.check_receipt_request``."""
        kind, total = v.check_receipt_request(body, ffd12=self.ffd12)
        payment_id = body.get("payment_id")
        if payment_id is not None:
            payment = self.payments.get(payment_id)
            if payment is None:
                raise v.ApiRefusal("payment_id is unknown", "payment_id")
            if payment["status"] != "succeeded":
                raise v.ApiRefusal(f"payment is {payment['status']}; receipts are for succeeded payments", "payment_id")
            if total > Decimal(payment["amount"]["value"]):
                raise v.ApiRefusal("the receipt exceeds the payment's amount", "items")
            made = sum(1 for r in self.receipts.values() if r.get("payment_id") == payment_id)
            if made >= v.MAX_RECEIPTS_PER_OBJECT:
                raise v.ApiRefusal(f"at most {v.MAX_RECEIPTS_PER_OBJECT} receipts per payment", "payment_id")
        receipt: dict[str, Any] = {
            "id": _new_id(),
            "type": kind,
            "status": "succeeded",
            "items": copy.deepcopy(body["items"]),
            "settlements": copy.deepcopy(body["settlements"]),
            "registered_at": _timestamp(_now()),
            "fiscal_document_number": str(len(self.receipts) + 3986),
            "fiscal_storage_number": "9288000100115785",
            "fiscal_attribute": str(2617603921 + len(self.receipts)),
            "fiscal_provider_id": "fd9e9404-eaca-4000-8ec9-dc228ead2345",
            "_customer": copy.deepcopy(body.get("customer")),
        }
        for name in ("payment_id", "refund_id"):
            if body.get(name) is not None:
                receipt[name] = body[name]
        self.receipts[receipt["id"]] = receipt
        return Reply(200, self._public_receipt(receipt))

    def _public_receipt(self, receipt: dict[str, Any]) -> dict[str, Any]:
        return {key: copy.deepcopy(value) for key, value in receipt.items() if not key.startswith("_")}

    # ----- request handling --------------------------------------------------------------------

    def _authorized(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.shop_id}:{self.secret_key}".encode()).decode()
        return header is not None and secrets.compare_digest(header, f"Basic {expected}")

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.count > 0:
                    fault.count -= 1
                return copy.copy(fault)
        return None

    def handle_api(self, method: str, path: str, query: dict[str, str], headers: Any, raw: bytes) -> Reply:
        """One API v3 request (``path`` without the ``/v3`` prefix) → the reply (or a drop)."""
        try:
            body: Any = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "idempotence_key": headers.get("Idempotence-Key"),
            "headers": {name: value for name, value in headers.items()},
            "body": body,
            "status": None,
            "at": time.time(),
        }
        with self._lock:
            self.request_log.append(entry)
        if not self._authorized(headers.get("Authorization")):
            reply = _error(
                401, "invalid_credentials", "Basic authorization with the shop id and secret key is required"
            )
            entry["status"] = reply.status
            return reply
        with self._lock:
            fault = self._take_fault(method, path)
            hang_release = self._release_hangs
        if fault is not None and not fault.after_commit:
            early = self._early_fault(fault, hang_release)
            if early is not None:
                entry["status"] = "dropped" if early.drop else early.status
                return early
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if method == "POST" and content_type != "application/json":
            # API reference «HTTP-коды ответа»: 415 «Неправильный тип контента для POST-запроса» (bare, no code).
            entry["status"] = 415
            return Reply(415, None)
        if not isinstance(body, dict):
            entry["status"] = 400
            return _error(400, "invalid_request", "the request body must be a JSON object")
        with self._lock:
            reply = self._dispatch(method, path, query, headers, body)
        if fault is not None and fault.after_commit:
            if fault.kind == "drop":
                reply = Reply(0, drop=True)
            elif fault.kind == "500":
                reply = _error(500, "internal_server_error", "Internal server error (injected after commit)")
        entry["status"] = "dropped" if reply.drop else reply.status
        return reply

    def _early_fault(self, fault: Fault, hang_release: threading.Event) -> Reply | None:
        if fault.kind == "500":
            return _error(500, "internal_server_error", "Internal server error (injected)")
        if fault.kind == "429":
            reply = _error(429, "too_many_requests", "Too many requests (injected)")
            reply.headers["Retry-After"] = "1"
            return reply
        if fault.kind == "202":
            return Reply(202, {"type": "processing", "retry_after": 1800})
        if fault.kind == "404":
            return _error(404, "not_found", "Not found (injected)")
        if fault.kind == "400":
            return _error(400, "invalid_request", "Invalid request (injected)", fault.parameter)
        if fault.kind == "html_502":
            page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
            return Reply(502, page, content_type="text/html")
        if fault.kind == "hang":
            hang_release.wait(fault.seconds)
            return Reply(0, drop=True)
        if fault.kind == "slow":
            hang_release.wait(fault.seconds)
            return None
        if fault.kind == "drop":
            return Reply(0, drop=True)
        return None

    def _dispatch(self, method: str, path: str, query: dict[str, str], headers: Any, body: dict[str, Any]) -> Reply:
        parts = _parts(path)
        try:
            if method != "POST":
                return self._call_api(method, parts, _Call(query=query, body=body))
            if not any(route.match(method, parts) is not None for route in API_ROUTES):
                return self._call_api(method, parts, _Call())  # 405 or 404 before any key is checked or stored
            key = v.check_idempotence_key(headers.get("Idempotence-Key"))
            stored = self.idempotence.get(key)
            if stored is not None and time.monotonic() - stored.stored_at > self.idempotence_ttl_seconds:
                stored = None  # keys are honoured for 24 hours
            if stored is not None:
                if stored.method == method and stored.path == path and stored.body == body:
                    return copy.deepcopy(stored.reply)
                return _error(
                    self.idempotence_conflict_status,
                    "invalid_request",
                    "this Idempotence-Key was already used with other request data",
                    "Idempotence-Key",
                )
            reply = self._call_api(method, parts, _Call(query=query, body=body, key=key))
        except v.ApiRefusal as refusal:
            reply = _error(refusal.status, refusal.code, refusal.description, refusal.parameter)
            if method == "GET" or refusal.parameter == "Idempotence-Key":
                return reply
        self.idempotence[key] = StoredReply(method, path, copy.deepcopy(body), copy.deepcopy(reply))
        return reply

    def _call(self, routes: tuple[Route, ...], method: str, parts: list[str], call: _Call) -> Reply | None:
        """The reply of the route matching ``method`` and ``parts``; None when no route does."""
        for route in routes:
            params = route.match(method, parts)
            if params is not None:
                return route.handler(self, dataclasses.replace(call, params=params))
        return None

    def _call_api(self, method: str, parts: list[str], call: _Call) -> Reply:
        reply = self._call(API_ROUTES, method, parts, call)
        if reply is None:
            allowed = sorted({r.method for r in API_ROUTES if r.match(r.method, parts) is not None})
            if allowed:
                return _method_not_allowed(allowed)
            raise v.ApiRefusal("no such API path", "path", status=404, code="not_found")
        return reply

    # ----- API v3 route handlers (``API_ROUTES``) -------------------------------------------------

    def _list_payments(self, call: _Call) -> Reply:
        self._settle_due_refunds()
        return self.list_objects([self.public_payment(p) for p in self.payments.values()], call.query)

    def _get_payment(self, call: _Call) -> Reply:
        self._settle_due_refunds()
        return Reply(200, self.public_payment(self._payment(call.params[0])))

    def _list_refunds(self, call: _Call) -> Reply:
        self._settle_due_refunds()
        return self.list_objects([self._public_refund(r) for r in self.refunds.values()], call.query)

    def _get_refund(self, call: _Call) -> Reply:
        self._settle_due_refunds()
        return Reply(200, self._public_refund(self._refund(call.params[0])))

    def _create_receipt(self, call: _Call) -> Reply:
        return self.create_receipt(call.body)

    def _get_receipt(self, call: _Call) -> Reply:
        receipt = self.receipts.get(call.params[0])
        if receipt is None:
            raise v.ApiRefusal("receipt not found", "receipt_id", status=404, code="not_found")
        return Reply(200, self._public_receipt(receipt))

    def _list_receipts(self, call: _Call) -> Reply:
        # API reference «Список чеков»: filtered by payment_id or refund_id.
        items = [self._public_receipt(r) for r in self.receipts.values()]
        if "refund_id" in call.query:
            items = [r for r in items if r.get("refund_id") == call.query["refund_id"]]
        for receipt in items:
            receipt["created_at"] = receipt["registered_at"]
        return self.list_objects(items, call.query)

    def _me(self, call: _Call) -> Reply:
        return Reply(
            200,
            {
                "account_id": self.shop_id,
                "test": True,
                "fiscalization_enabled": self.require_receipt,
                "payment_methods": ["bank_card", "sbp"],
                "status": "enabled",
            },
        )

    def _create_payment(self, call: _Call) -> Reply:
        return self.create_payment(call.body, call.key)

    def _capture_payment(self, call: _Call) -> Reply:
        return self.capture_payment(call.params[0], call.body)

    def _cancel_payment(self, call: _Call) -> Reply:
        return self.cancel_payment(call.params[0])

    def _create_refund(self, call: _Call) -> Reply:
        return self.create_refund(call.body)

    # ----- browser page and control endpoints ---------------------------------------------------

    def checkout_page(self, payment_id: str, message: str | None = None, *, from_phone: bool = False) -> Reply:
        with self._lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                return Reply(404, _page("Платёж не найден", "<p>Такого тестового платежа нет.</p>"), "text/html")
            payment = copy.deepcopy(payment)
        amount = Decimal(payment["amount"]["value"])
        amount_text = f"{amount:,.2f}".replace(",", "\u00a0").replace(".", ",") + "\u00a0₽"
        rows = (
            f"<p class='amount'>К оплате: <strong>{html.escape(amount_text)}</strong></p>"
            f"<p>{html.escape(payment.get('description', ''))}</p>"
            f"<p class='muted'>Платёж {html.escape(payment_id)}</p>"
        )
        sbp = payment.get("_method") == "sbp"
        if payment["status"] == "pending" and sbp:
            # YooKassa's SBP page: a QR for a computer, a button to the banking app on a phone (the SBP page of the
            # API docs: «в полной версии сайта — сканирует QR-код…; в мобильной версии — переходит по кнопке»).
            link = self.sbp_link(payment_id)
            qr = segno.make(link, error="m").svg_data_uri(scale=4, border=2)
            intro = (
                "<p class='app'>Приложение банка (тест): подтвердите оплату через СБП.</p>"
                if from_phone
                else "<p>Отсканируйте QR-код камерой телефона или откройте приложение банка.</p>"
                f"<p><img class='qr' src='{qr}' alt='QR-код для оплаты через СБП' width='180' height='180'></p>"
                f"<p><a class='phone' href='{html.escape(link)}'>Открыть приложение банка</a></p>"
            )
            body = (
                "<h2>Оплата через СБП</h2>"
                + rows
                + intro
                + f"<form method='post' action='/checkout/{html.escape(payment_id)}'>"
                "<button name='action' value='pay' type='submit'>Подтвердить в банке</button> "
                "<button name='action' value='decline' type='submit' class='secondary'>Отказаться</button>"
                "</form>"
            )
        elif payment["status"] == "pending":
            body = (
                rows + f"<form method='post' action='/checkout/{html.escape(payment_id)}'>"
                "<button name='action' value='pay' type='submit'>Оплатить</button> "
                "<button name='action' value='decline' type='submit' class='secondary'>Отказаться</button>"
                "</form>"
            )
        else:
            body = (
                rows
                + f"<p>Платёж уже обработан: {html.escape(payment['status'])}.</p>"
                + f"<p><a href='{html.escape(payment['_return_url'])}'>Вернуться в магазин</a></p>"
            )
        if message:
            body = f"<p class='error'>{html.escape(message)}</p>" + body
        return Reply(200, _page("Тестовая оплата", body), "text/html; charset=utf-8")

    def checkout_action(self, payment_id: str, action: str) -> Reply:
        try:
            if action == "pay":
                self.pay(payment_id)
            elif action == "decline":
                self.fail(payment_id, DECLINE_REASON)
            else:
                return self.checkout_page(payment_id, "Неизвестное действие.")
        except v.ApiRefusal as refusal:
            if refusal.status == 404:
                return self.checkout_page(payment_id)
            return self.checkout_page(payment_id, "Этот платёж уже нельзя изменить.")
        with self._lock:
            return_url = self.payments[payment_id]["_return_url"]
        return Reply(303, b"", "text/plain", headers={"Location": return_url})

    def handle_control(self, method: str, path: str, body: dict[str, Any]) -> Reply:
        try:
            reply = self._call(CONTROL_ROUTES, method, _parts(path), _Call(body=body))
        except v.ApiRefusal as refusal:
            return _error(refusal.status, refusal.code, refusal.description, refusal.parameter)
        except (TypeError, ValueError) as exc:
            return _error(400, "invalid_request", str(exc))
        return reply if reply is not None else _error(404, "not_found", "no such control endpoint")

    # ----- control route handlers (``CONTROL_ROUTES``) -------------------------------------------

    def _control_reset(self, call: _Call) -> Reply:
        self.reset()
        return Reply(200, {"ok": True})

    def _control_requests(self, call: _Call) -> Reply:
        with self._lock:
            return Reply(200, {"items": copy.deepcopy(self.request_log)})

    def _control_notifications(self, call: _Call) -> Reply:
        return Reply(200, {"items": [attempt.as_dict() for attempt in self.webhooks.attempts]})

    def _control_send_notification(self, call: _Call) -> Reply:
        body = call.body
        self.send_notification(
            str(body.get("event", "")),
            str(body.get("object_id", "")),
            times=int(body.get("times", 1)),
            overrides=body.get("overrides"),
        )
        return Reply(200, {"ok": True})

    def _control_add_fault(self, call: _Call) -> Reply:
        body = call.body
        options = {k: body[k] for k in ("count", "after_commit", "seconds", "parameter") if k in body}
        self.add_fault(str(body.get("kind")), str(body.get("route", "*")), **options)
        return Reply(200, {"ok": True})

    def _control_decline_next(self, call: _Call) -> Reply:
        self.decline_next_payment(str(call.body.get("reason", "card_expired")))
        return Reply(200, {"ok": True})

    def _control_clear_faults(self, call: _Call) -> Reply:
        self.clear_faults()
        return Reply(200, {"ok": True})

    def _control_config(self, call: _Call) -> Reply:
        body = call.body
        with self._lock:
            if "notify_url" in body:
                self.notify_url = body["notify_url"]
            if "webhook_retry_delays" in body:
                self.webhooks.retry_delays = tuple(float(d) for d in body["webhook_retry_delays"])
            if "require_receipt" in body:
                self.require_receipt = bool(body["require_receipt"])
            if "auto_notify" in body:
                self.auto_notify = bool(body["auto_notify"])
            if "refund_outcome" in body:
                if body["refund_outcome"] not in REFUND_OUTCOMES:
                    raise v.ApiRefusal(f"refund_outcome is one of {', '.join(REFUND_OUTCOMES)}", "refund_outcome")
                self.refund_outcome = body["refund_outcome"]
            if "ffd_version" in body:
                if body["ffd_version"] not in FFD_VERSIONS:
                    raise v.ApiRefusal(f"ffd_version is one of {', '.join(FFD_VERSIONS)}", "ffd_version")
                self.ffd_version = body["ffd_version"]
        return Reply(200, {"ok": True})

    def _control_payment_record(self, call: _Call) -> Reply:
        return Reply(200, self.payment_record(call.params[0]))

    def _control_pay(self, call: _Call) -> Reply:
        return Reply(200, self.pay(call.params[0], str(call.body.get("payment_method", "bank_card"))))

    def _control_fail(self, call: _Call) -> Reply:
        return Reply(200, self.fail(call.params[0], str(call.body.get("reason", "insufficient_funds"))))

    def _control_expire(self, call: _Call) -> Reply:
        return Reply(200, self.expire(call.params[0]))

    def _control_settle_refund(self, call: _Call) -> Reply:
        body = call.body
        return Reply(
            200,
            self.settle_refund(
                call.params[0], str(body.get("status", "")), str(body.get("reason", REFUND_DECLINE_REASON))
            ),
        )

    def _control_receipts(self, call: _Call) -> Reply:
        """Every receipt made through ``POST /v3/receipts``, with the customer it was sent to."""
        with self._lock:
            return Reply(200, {"items": copy.deepcopy(list(self.receipts.values()))})


def _method_not_allowed(allowed: list[str]) -> Reply:
    """API reference «HTTP-коды ответа»: 405 «Неправильный HTTP-метод запроса» (e.g. GET to cancel a payment);
    no error code is given for it, so the body is empty."""
    return Reply(405, None, headers={"Allow": ", ".join(allowed)})


def _parts(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


@dataclass(frozen=True)
class _Call:
    """One routed request: the path's ``{id}`` values, the query, the JSON body and the Idempotence-Key."""

    params: tuple[str, ...] = ()
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    key: str = ""


@dataclass(frozen=True)
class Route:
    """``METHOD a/{id}/b`` → ``handler(standin, call)``; ``{id}`` matches one path segment."""

    method: str
    pattern: str
    handler: Callable[[StandIn, _Call], Reply]

    def match(self, method: str, parts: list[str]) -> tuple[str, ...] | None:
        expected = self.pattern.split("/")
        if method != self.method or len(parts) != len(expected):
            return None
        params = []
        for want, got in zip(expected, parts, strict=True):
            if want == "{id}":
                params.append(got)
            elif want != got:
                return None
        return tuple(params)


#: API v3 (paths without ``/v3``); GET needs no key, POST goes through the Idempotence-Key check first.
API_ROUTES: tuple[Route, ...] = (
    Route("GET", "payments", StandIn._list_payments),
    Route("GET", "payments/{id}", StandIn._get_payment),
    Route("GET", "refunds", StandIn._list_refunds),
    Route("GET", "refunds/{id}", StandIn._get_refund),
    Route("GET", "me", StandIn._me),
    Route("GET", "receipts", StandIn._list_receipts),
    Route("GET", "receipts/{id}", StandIn._get_receipt),
    Route("POST", "payments", StandIn._create_payment),
    Route("POST", "payments/{id}/capture", StandIn._capture_payment),
    Route("POST", "payments/{id}/cancel", StandIn._cancel_payment),
    Route("POST", "refunds", StandIn._create_refund),
    Route("POST", "receipts", StandIn._create_receipt),
)

#: Test control under ``/_fake`` (the path without it).
CONTROL_ROUTES: tuple[Route, ...] = (
    Route("POST", "reset", StandIn._control_reset),
    Route("GET", "requests", StandIn._control_requests),
    Route("GET", "notifications", StandIn._control_notifications),
    Route("POST", "notifications", StandIn._control_send_notification),
    Route("POST", "faults", StandIn._control_add_fault),
    Route("POST", "decline-next", StandIn._control_decline_next),
    Route("POST", "faults/clear", StandIn._control_clear_faults),
    Route("POST", "config", StandIn._control_config),
    Route("GET", "payments/{id}", StandIn._control_payment_record),
    Route("POST", "payments/{id}/pay", StandIn._control_pay),
    Route("POST", "payments/{id}/fail", StandIn._control_fail),
    Route("POST", "payments/{id}/expire", StandIn._control_expire),
    Route("POST", "refunds/{id}/settle", StandIn._control_settle_refund),
    Route("GET", "receipts", StandIn._control_receipts),
)


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} — ЮKassa (тестовый стенд)</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; color: #222; }}
.banner {{ background: #fff3cd; border: 1px solid #e0b400; padding: .75rem 1rem; border-radius: .5rem; }}
.amount {{ font-size: 1.5rem; }} .muted {{ color: #777; font-size: .85rem; }} .error {{ color: #b00020; }}
.qr {{ max-width: 100%; height: auto; }}
button {{ font-size: 1rem; padding: .6rem 1.4rem; border-radius: .4rem; border: 0; background: #1a73e8; color: #fff; }}
button.secondary {{ background: #eee; color: #222; }}
</style></head>
<body><p class="banner"><strong>Тестовая оплата.</strong> Это учебный стенд ЮKassa: деньги не списываются,
данные карты не нужны.</p>
<h1>{html.escape(title)}</h1>
{body}
</body></html>"""


class _Handler(BaseHTTPRequestHandler):
    standin: StandIn
    protocol_version = "HTTP/1.1"
    server_version = "YooKassaStandIn/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        return

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        payload = reply.encoded()
        self.send_response(reply.status)
        content_type = reply.content_type
        if content_type == "application/json":
            content_type = "application/json; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _route(self, method: str) -> None:
        split = urlsplit(self.path)
        path = "/v3/" if split.path == "/v3" else split.path
        query = {name: values[-1] for name, values in parse_qs(split.query).items()}
        raw = self._read_body()
        for prefix, serve in self.MOUNTS:
            if path.startswith(prefix):
                reply = serve(self, method, path, query, raw)
                break
        else:
            reply = _error(404, "not_found", "the stand-in serves /v3/..., /checkout/<id> and /_fake/...")
        self._send(reply)

    def _serve_api(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        return self.standin.handle_api(method, path[3:], query, self.headers, raw)

    def _serve_checkout(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        payment_id = path.removeprefix("/checkout/")
        if method == "GET":
            return self.standin.checkout_page(payment_id, from_phone=query.get("sbp") == "app")
        form = {name: values[-1] for name, values in parse_qs(raw.decode("utf-8", "replace")).items()}
        return self.standin.checkout_action(payment_id, form.get("action", ""))

    def _serve_control(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, "invalid_request", "the control body must be a JSON object")
        return self.standin.handle_control(method, path.removeprefix("/_fake"), body)

    #: Path prefix → the part of the stand-in that serves it (API v3, the test checkout page, test control).
    MOUNTS: tuple[tuple[str, Callable[[_Handler, str, str, dict[str, str], bytes], Reply]], ...] = (
        ("/v3/", _serve_api),
        ("/checkout/", _serve_checkout),
        ("/_fake/", _serve_control),
    )

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    def do_PUT(self) -> None:  # noqa: N802
        self._route("PUT")

    def do_PATCH(self) -> None:  # noqa: N802
        self._route("PATCH")

"""YooKassa adapter: ``PaymentGateway`` over the official ``yookassa`` SDK (3.13).

What this module guards against (see yookassa.md §1, §6, §7):

- **Deadline.** The SDK sets no network timeout at all. Every SDK call runs on a small worker
  pool and the caller waits at most ``timeout_seconds`` (``YOOKASSA_TIMEOUT_SECONDS``): that is
  a hard wall-clock bound covering DNS, connect, a server that trickles bytes, and the SDK's own
  202 retry sleeps over HTTPS, none of which a socket timeout alone bounds. A
  socket timeout a little longer than the deadline (so the deadline always fires first and
  the outcome reads as a deadline) is also applied to the SDK's ``requests`` session (the
  ``ApiClient.get_session`` hook, installed once) so that a worker abandoned at the deadline is
  freed soon after instead of blocking forever on a dead connection.
- **Outcome unknown vs refused.** Connection errors surface from the SDK as ``AttributeError``,
  an HTML 502 as ``JSONDecodeError``; 500/202/429 as typed errors. All of those, and the
  deadline, become ``OutcomeUnknown`` (repeat with the same key, or re-query). 400/401/403/404
  become ``RequestRefused`` subclasses (definite; fix the data and use a new key).
- **Idempotence.** Our key is passed on every create/capture/cancel/refund; the SDK never
  invents one.
- **Money.** Amounts go out as 2-decimal strings and are checked to be whole kopecks first
  (the SDK would otherwise round through ``float`` silently).
- **Global configuration.** The SDK keeps credentials in class attributes: one shop per process.
  ``configure()`` is called with every setting each time they change, because it silently resets
  ``api_url`` to production when it is left out.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import requests
from yookassa import Configuration, Payment, Receipt, Refund
from yookassa.client import ApiClient
from yookassa.domain.exceptions import (
    ApiError,
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    ResponseProcessingError,
    TooManyRequestsError,
    UnauthorizedError,
)
from yookassa.domain.request import PaymentRequest as SdkPaymentRequest
from yookassa.domain.request import ReceiptRequest as SdkReceiptRequest
from yookassa.domain.request import RefundRequest as SdkRefundRequest

from storefront.money import RUB, quantize_kopecks
from storefront.payment.errors import (
    DeadlineExceeded,
    GatewayError,
    GatewayMisconfigured,
    GatewayObjectNotFound,
    InvalidPaymentRequest,
    OutcomeUnknown,
    PaymentDeclined,
    RequestRefused,
)
from storefront.payment.gateway import (
    ClosingReceiptRequest,
    PaymentRequest,
    PaymentResult,
    PaymentStatus,
    ReceiptResult,
    RefundRequest,
    RefundResult,
    RefundStatus,
)
from storefront.payment.receipt import MAX_DESCRIPTION, MAX_RECEIPT_ITEMS, build_receipt, receipt_total

logger = logging.getLogger(__name__)

#: The SDK adds ``cms_name`` itself when it is missing; we set it, leaving 15 keys for the shop.
CMS_NAME = "mostik"
MAX_OWN_METADATA_KEYS = 15
MAX_METADATA_KEY = 32
MAX_METADATA_VALUE = 512
MAX_IDEMPOTENCE_KEY = 64
#: ``payment_method_data.type`` values the shop offers (``models.YooKassaMethod``).
PAYMENT_METHODS = ("bank_card", "sbp")
#: ``Configuration.timeout`` is not a timeout but the urllib3 backoff factor in ms for the SDK's own
#: retries of a 202 over HTTPS (default 1800: sleeps of 0, 3.6 and 7.2 s). 200 ms gives 0, 0.4 and
#: 0.8 s, so those retries fit well inside the deadline and an abandoned worker is not kept busy.
SDK_BACKOFF_MS = 200
#: Given to the SDK, which logs every request and response (headers and body) to it at INFO; the production
#: logging config keeps it at WARNING, and its masking filter drops the key, e-mails and phones if it is lowered.
SDK_LOGGER = logging.getLogger("yookassa")
_OBJECT_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")

T = TypeVar("T")


@dataclass(frozen=True)
class YooKassaSettings:
    shop_id: str
    secret_key: str = field(repr=False)
    api_url: str
    timeout_seconds: float
    #: ``requests`` ``verify``: a CA bundle path for an HTTPS stand-in with a self-signed cert.
    verify: bool | str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> YooKassaSettings | None:
        """Settings from the app config (``storefront.config`` checks the values), or None without credentials."""
        shop_id = (config["YOOKASSA_SHOP_ID"] or "").strip()
        secret_key = (config["YOOKASSA_SECRET_KEY"] or "").strip()
        if not shop_id or not secret_key:
            return None
        api_url = config["YOOKASSA_API_URL"].strip().rstrip("/")
        return cls(shop_id, secret_key, api_url, float(config["YOOKASSA_TIMEOUT_SECONDS"]))


# ----- socket timeout for the SDK's requests session (installed once, process-wide) -------------

_socket_timeout: float | None = None
#: The socket timeout exceeds the deadline by this much, so a slow call ends as DeadlineExceeded.
SOCKET_TIMEOUT_MARGIN_SECONDS = 2.0
_original_get_session = ApiClient.get_session


def _get_session_with_timeout(client: ApiClient) -> requests.Session:
    session = _original_get_session(client)
    if _socket_timeout is not None:
        session.request = functools.partial(session.request, timeout=_socket_timeout)
    return session


_configure_lock = threading.Lock()
_configured: YooKassaSettings | None = None


def _configure_sdk(settings: YooKassaSettings) -> None:
    global _configured, _socket_timeout
    with _configure_lock:
        if _configured == settings:
            return
        Configuration.configure(
            settings.shop_id,
            settings.secret_key,
            api_url=settings.api_url,
            timeout=SDK_BACKOFF_MS,
            max_attempts=3,
            verify=settings.verify,
            logger=SDK_LOGGER,
        )
        _socket_timeout = settings.timeout_seconds + SOCKET_TIMEOUT_MARGIN_SECONDS
        if ApiClient.get_session is not _get_session_with_timeout:
            ApiClient.get_session = _get_session_with_timeout
        _configured = settings


# ----- conversions ------------------------------------------------------------------------------


def _money_string(amount: Decimal, operation: str, parameter: str = "amount") -> str:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidPaymentRequest(operation, "amounts must be finite Decimals", parameter)
    if amount <= 0:
        raise InvalidPaymentRequest(operation, "amounts must be greater than zero", parameter)
    if amount != quantize_kopecks(amount):
        raise InvalidPaymentRequest(operation, f"{amount} is not a whole number of kopecks", parameter)
    return f"{amount:.2f}"


def _check_key(key: str, operation: str) -> str:
    if not key or len(key) > MAX_IDEMPOTENCE_KEY:
        raise InvalidPaymentRequest(
            operation, "an idempotence key of 1 to 64 characters is required", "idempotence_key"
        )
    return key


def _check_object_id(object_id: str, operation: str) -> str:
    if not isinstance(object_id, str) or not _OBJECT_ID.match(object_id):
        raise InvalidPaymentRequest(operation, "not a YooKassa object id", "id")
    return object_id


def _metadata(metadata: Mapping[str, str], operation: str) -> dict[str, str]:
    if len(metadata) > MAX_OWN_METADATA_KEYS:
        raise InvalidPaymentRequest(operation, f"at most {MAX_OWN_METADATA_KEYS} metadata keys", "metadata")
    result = {}
    for key, value in metadata.items():
        text = str(value)
        if not key or len(key) > MAX_METADATA_KEY or len(text) > MAX_METADATA_VALUE:
            raise InvalidPaymentRequest(operation, f"metadata {key!r} is too long", "metadata")
        result[key] = text
    result["cms_name"] = CMS_NAME
    return result


def _receipt(customer: Mapping[str, str], items: Any, total: Decimal, operation: str) -> dict[str, object]:
    if not customer:
        raise InvalidPaymentRequest(operation, "a receipt needs the buyer's email or phone", "receipt.customer")
    if len(items) > MAX_RECEIPT_ITEMS:
        raise InvalidPaymentRequest(operation, f"at most {MAX_RECEIPT_ITEMS} receipt items", "receipt.items")
    if receipt_total(items) != total:
        raise InvalidPaymentRequest(
            operation, f"receipt items add up to {receipt_total(items)}, not {total}", "receipt.items"
        )
    return build_receipt(customer, items)


def _decimal(value: Any) -> Decimal:
    return quantize_kopecks(Decimal(str(value)))


def _timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _payment_result(response: Any) -> PaymentResult:
    cancellation = response.cancellation_details
    confirmation = response.confirmation
    refunded = response.refunded_amount
    return PaymentResult(
        payment_id=response.id,
        status=PaymentStatus(response.status),
        paid=bool(response.paid),
        amount=_decimal(response.amount.value),
        currency=str(response.amount.currency),
        confirmation_url=getattr(confirmation, "confirmation_url", None) if confirmation else None,
        refundable=bool(response.refundable),
        refunded_amount=_decimal(refunded.value) if refunded else Decimal("0.00"),
        metadata={str(k): str(v) for k, v in dict(response.metadata or {}).items()},
        cancellation_party=getattr(cancellation, "party", None) if cancellation else None,
        cancellation_reason=getattr(cancellation, "reason", None) if cancellation else None,
        created_at=_timestamp(response.created_at),
        captured_at=_timestamp(response.captured_at),
        expires_at=_timestamp(response.expires_at),
        test=bool(response.test),
    )


def _refund_result(response: Any) -> RefundResult:
    cancellation = response.cancellation_details
    return RefundResult(
        refund_id=response.id,
        payment_id=response.payment_id,
        status=RefundStatus(response.status),
        amount=_decimal(response.amount.value),
        currency=str(response.amount.currency),
        created_at=_timestamp(response.created_at),
        cancellation_reason=getattr(cancellation, "reason", None) if cancellation else None,
    )


def _receipt_result(response: Any) -> ReceiptResult:
    return ReceiptResult(receipt_id=str(response.id), status=str(response.status))


def _unless_declined(result: PaymentResult) -> PaymentResult:
    """A create or capture that comes back ``canceled`` is a definite, final refusal."""
    if result.status is PaymentStatus.CANCELED:
        raise PaymentDeclined(result)
    return result


def _refusal(kind: type[RequestRefused], operation: str, error: ApiError) -> RequestRefused:
    content = error.content or {}
    return kind(
        operation,
        getattr(error, "HTTP_CODE", None),
        content.get("code"),
        content.get("description"),
        content.get("parameter"),
    )


def _retry_after(error: ApiError) -> float | None:
    value = (error.content or {}).get("retry_after")
    try:
        return float(value) / 1000 if value is not None else None
    except (TypeError, ValueError):
        return None


# ----- the gateway ------------------------------------------------------------------------------


class YooKassaGateway:
    """``PaymentGateway`` for YooKassa API v3. Thread-safe; one set of settings per process."""

    def __init__(self, settings: YooKassaSettings, *, workers: int = 8) -> None:
        self.settings = settings
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="yookassa")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _call(self, operation: str, func: Callable[[], T]) -> T:
        """Run one SDK call under the deadline and map every failure to a gateway error."""
        _configure_sdk(self.settings)
        # The worker thread runs in a copy of this context: its log lines keep the request id (storefront.ops.logs).
        future = self._executor.submit(contextvars.copy_context().run, func)
        try:
            return future.result(timeout=self.settings.timeout_seconds)
        except FutureTimeout:
            future.cancel()
            logger.warning("yookassa %s: no answer within %s s", operation, self.settings.timeout_seconds)
            raise DeadlineExceeded(operation, self.settings.timeout_seconds) from None
        except GatewayError:
            raise
        except BadRequestError as error:
            raise _refusal(RequestRefused, operation, error) from error
        except (UnauthorizedError, ForbiddenError) as error:
            raise _refusal(GatewayMisconfigured, operation, error) from error
        except NotFoundError as error:
            raise _refusal(GatewayObjectNotFound, operation, error) from error
        except TooManyRequestsError as error:
            raise OutcomeUnknown(operation, "rate_limited", "429", _retry_after(error)) from error
        except ResponseProcessingError as error:
            raise OutcomeUnknown(operation, "processing", "202", _retry_after(error)) from error
        except ApiError as error:
            # 500, 410 and any other status with a JSON body: the operation may have happened.
            status = getattr(error, "HTTP_CODE", 0)
            reason = "server_error" if status == 500 else "unexpected_status"
            raise OutcomeUnknown(operation, reason, str(status)) from error
        except requests.exceptions.JSONDecodeError as error:
            raise OutcomeUnknown(operation, "bad_response", "the answer was not JSON") from error
        except (AttributeError, requests.RequestException, OSError) as error:
            # The SDK turns connection errors and timeouts into AttributeError on ``None.status_code``.
            raise OutcomeUnknown(operation, "connection", type(error).__name__) from error
        except Exception as error:  # noqa: BLE001 -- anything else still leaves the outcome unknown
            logger.exception("yookassa %s: unexpected failure", operation)
            raise OutcomeUnknown(operation, "unexpected", type(error).__name__) from error

    # ----- payments ----------------------------------------------------------------------------

    def create_payment(self, request: PaymentRequest) -> PaymentResult:
        operation = "create_payment"
        key = _check_key(request.idempotence_key, operation)
        if request.currency != RUB:
            raise InvalidPaymentRequest(operation, "YooKassa payments are in roubles", "amount.currency")
        description = " ".join(request.description.split())
        if not description or len(description) > MAX_DESCRIPTION:
            raise InvalidPaymentRequest(operation, f"the description must have 1 to {MAX_DESCRIPTION} characters")
        if not request.return_url.startswith(("https://", "http://")):
            raise InvalidPaymentRequest(operation, "the return URL must be absolute", "confirmation.return_url")
        params: dict[str, Any] = {
            "amount": {"value": _money_string(request.amount, operation), "currency": RUB},
            "confirmation": {"type": "redirect", "return_url": request.return_url},
            "capture": request.capture,
            "description": description,
            "metadata": _metadata(request.metadata, operation),
        }
        if request.receipt_items:
            params["receipt"] = _receipt(request.customer, request.receipt_items, request.amount, operation)
        if request.payment_method is not None:
            if request.payment_method not in PAYMENT_METHODS:
                raise InvalidPaymentRequest(operation, "unknown payment method", "payment_method_data.type")
            if request.payment_method == "sbp" and not request.capture:
                raise InvalidPaymentRequest(operation, "SBP payments cannot be two-stage", "capture")
            params["payment_method_data"] = {"type": request.payment_method}
        try:
            sdk_request = SdkPaymentRequest(params)
            sdk_request.validate()
        except (ValueError, TypeError) as error:
            raise InvalidPaymentRequest(operation, str(error)) from error
        logger.info("yookassa create_payment key=%s amount=%s", key, params["amount"]["value"])
        return _unless_declined(self._call(operation, lambda: _payment_result(Payment.create(sdk_request, key))))

    def get_payment(self, payment_id: str) -> PaymentResult:
        payment_id = _check_object_id(payment_id, "get_payment")
        return self._call("get_payment", lambda: _payment_result(Payment.find_one(payment_id)))

    def capture_payment(self, payment_id: str, idempotence_key: str, amount: Decimal | None = None) -> PaymentResult:
        operation = "capture_payment"
        payment_id = _check_object_id(payment_id, operation)
        key = _check_key(idempotence_key, operation)
        params = None
        if amount is not None:
            params = {"amount": {"value": _money_string(amount, operation), "currency": RUB}}
        logger.info("yookassa capture_payment id=%s key=%s", payment_id, key)
        return _unless_declined(
            self._call(operation, lambda: _payment_result(Payment.capture(payment_id, params, key)))
        )

    def cancel_payment(self, payment_id: str, idempotence_key: str) -> PaymentResult:
        operation = "cancel_payment"
        payment_id = _check_object_id(payment_id, operation)
        key = _check_key(idempotence_key, operation)
        logger.info("yookassa cancel_payment id=%s key=%s", payment_id, key)
        return self._call(operation, lambda: _payment_result(Payment.cancel(payment_id, key)))

    # ----- refunds -----------------------------------------------------------------------------

    def create_refund(self, request: RefundRequest) -> RefundResult:
        operation = "create_refund"
        payment_id = _check_object_id(request.payment_id, operation)
        key = _check_key(request.idempotence_key, operation)
        params: dict[str, Any] = {
            "payment_id": payment_id,
            "amount": {"value": _money_string(request.amount, operation), "currency": RUB},
        }
        if request.description:
            params["description"] = request.description[:250]
        if request.receipt_items:
            params["receipt"] = _receipt(request.customer, request.receipt_items, request.amount, operation)
        try:
            sdk_request = SdkRefundRequest(params)
            sdk_request.validate()
        except (ValueError, TypeError) as error:
            raise InvalidPaymentRequest(operation, str(error)) from error
        logger.info("yookassa create_refund payment=%s key=%s amount=%s", payment_id, key, params["amount"]["value"])
        return self._call(operation, lambda: _refund_result(Refund.create(sdk_request, key)))

    def get_refund(self, refund_id: str) -> RefundResult:
        refund_id = _check_object_id(refund_id, "get_refund")
        return self._call("get_refund", lambda: _refund_result(Refund.find_one(refund_id)))

    # ----- receipts ----------------------------------------------------------------------------

    def create_closing_receipt(self, request: ClosingReceiptRequest) -> ReceiptResult:
        """The closing receipt of a prepaid payment through the SDK's Receipt API (``POST /v3/receipts``)."""
        operation = "create_receipt"
        payment_id = _check_object_id(request.payment_id, operation)
        key = _check_key(request.idempotence_key, operation)
        if not request.receipt_items:
            raise InvalidPaymentRequest(operation, "a closing receipt needs items", "items")
        total = receipt_total(request.receipt_items)
        receipt = _receipt(request.customer, request.receipt_items, total, operation)
        params: dict[str, Any] = {
            "type": "payment",
            "send": True,
            "payment_id": payment_id,
            "customer": receipt["customer"],
            "items": receipt["items"],
            "settlements": [
                {"type": "prepayment", "amount": {"value": _money_string(total, operation), "currency": RUB}}
            ],
        }
        try:
            sdk_request = SdkReceiptRequest(params)
            sdk_request.validate()
        except (ValueError, TypeError) as error:
            raise InvalidPaymentRequest(operation, str(error)) from error
        logger.info("yookassa create_receipt payment=%s key=%s amount=%s", payment_id, key, total)
        return self._call(operation, lambda: _receipt_result(Receipt.create(sdk_request, key)))


def build_gateway(config: Mapping[str, Any]) -> YooKassaGateway | None:
    """The gateway for the app config, or None when no YooKassa credentials are configured."""
    settings = YooKassaSettings.from_config(config)
    return YooKassaGateway(settings) if settings else None

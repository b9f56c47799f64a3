"""What can go wrong when talking to the payment gateway.

Two families matter to callers:

- ``OutcomeUnknown``: the gateway gave no definite answer (network error, deadline, 500, 202,
  429, a proxy's HTML page). The operation may or may not have happened: repeat it with the SAME
  idempotence key and the same data, or re-query the object. Never start a new attempt.
- ``RequestRefused`` (and ``PaymentDeclined``): a definite "no". Nothing happened (or the payment
  is final as canceled); a retry needs new data and a NEW key.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from storefront.errors import ShopError

if TYPE_CHECKING:
    from storefront.payment.gateway import PaymentResult


class GatewayError(ShopError):
    """Base of every payment-gateway error."""


class OutcomeUnknown(GatewayError):
    """No definite answer; retry with the same idempotence key or re-query.

    ``reason`` is one of ``connection``, ``deadline``, ``server_error``, ``processing`` (202),
    ``rate_limited`` (429), ``bad_response`` (not JSON, e.g. an HTML 502), ``unexpected_status``,
    ``unexpected``.
    """

    def __init__(self, operation: str, reason: str, detail: str = "", retry_after: float | None = None) -> None:
        self.operation = operation
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(f"{operation}: outcome unknown ({reason}){': ' + detail if detail else ''}")


class DeadlineExceeded(OutcomeUnknown):
    """The gateway did not answer within the configured number of seconds."""

    def __init__(self, operation: str, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(operation, "deadline", f"no answer within {seconds:g} s")


class RequestRefused(GatewayError):
    """The gateway definitely refused the request (4xx); nothing changed on its side."""

    def __init__(
        self,
        operation: str,
        status: int | None,
        code: str | None = None,
        description: str | None = None,
        parameter: str | None = None,
    ) -> None:
        self.operation = operation
        self.status = status
        self.code = code
        self.description = description
        self.parameter = parameter
        where = f" [{parameter}]" if parameter else ""
        super().__init__(f"{operation}: refused ({status} {code}){where}: {description}")


class InvalidPaymentRequest(RequestRefused):
    """Our own request failed validation before anything was sent."""

    def __init__(self, operation: str, description: str, parameter: str | None = None) -> None:
        super().__init__(operation, None, "invalid_request", description, parameter)


class GatewayMisconfigured(RequestRefused):
    """401/403: wrong shop id or secret key, or the shop may not do this."""


class GatewayObjectNotFound(RequestRefused):
    """404: the gateway has no such payment or refund."""


class PaymentDeclined(GatewayError):
    """The payment ended ``canceled`` (the bank declined, it expired, or the merchant canceled it)."""

    def __init__(self, result: PaymentResult) -> None:
        self.result = result
        super().__init__(
            f"payment {result.payment_id} canceled by {result.cancellation_party}: {result.cancellation_reason}"
        )


def short_error(error: Exception) -> str:
    """An error as stored on an attempt or refund row (``last_error``) and in outcomes."""
    return str(error)[:300]


# ----- the payment use cases' errors (``attempts``, ``refunds``) ------------------------------------


class PaymentError(ShopError):
    """Base of the payment use-case errors (the views turn them into Russian messages)."""


class OrderNotPayable(PaymentError):
    def __init__(self, number: str | None, status: str) -> None:
        self.status = status
        super().__init__(f"order {number} is {status}, it cannot be paid")


class PaymentUnavailable(PaymentError):
    """The gateway gave no answer (deadline, network, 5xx): the buyer should try again shortly."""


class PaymentRefused(PaymentError):
    """The gateway refused our request (a definite no); the attempt is failed."""


class RefundFailure(StrEnum):
    """Why a refund cannot be made (``RefundError.code``); the CLI and the CRM show a message for each."""

    #: The order has no succeeded payment.
    NOT_PAID = "not_paid"
    #: Not a positive amount of whole kopecks.
    BAD_AMOUNT = "bad_amount"
    #: Everything paid is refunded or being refunded.
    NOTHING_LEFT = "nothing_left"
    #: More than is left to refund (``values``: amount, remaining).
    TOO_MUCH = "too_much"
    #: The idempotence key belongs to another order's refund.
    BAD_KEY = "bad_key"
    #: The gateway did not answer: repeat the same request (it will not refund twice).
    UNKNOWN = "unknown"
    #: The gateway refused the refund (the message says why).
    REFUSED = "refused"
    #: A chosen order line is not the order's.
    BAD_LINES = "bad_lines"
    #: Another request's refund has no answer yet (``values``: amount, remaining); this one made nothing.
    IN_PROGRESS = "in_progress"


class RefundError(PaymentError):
    """A refund that cannot be made. ``code`` tells the CLI and the CRM which message to show."""

    def __init__(self, code: RefundFailure, message: str, **values: Any) -> None:
        self.code = code
        self.values = values
        super().__init__(message)

"""What applying a fetched payment or refund state did: typed results of the use cases in ``attempts``,
``refunds`` and ``notification_handling``.

``str()`` of an outcome is the text kept in the notification log (``payment_notifications.outcome``) and the
re-check's log line; callers and tests compare the kinds, never parse the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PaymentOutcomeKind(StrEnum):
    #: No attempt of ours has the fetched payment's id (or names it in its metadata).
    UNKNOWN_PAYMENT = "unknown payment"
    #: A notification named a payment the gateway does not have.
    NOT_AT_GATEWAY = "unknown payment (not found at the gateway)"
    #: The fetched amount/currency differs, or the money came in for an order no longer payable (detail: why).
    NEEDS_REVIEW = "needs review"
    #: The attempt already had this status or a later one.
    NO_CHANGE = "no change"
    #: The attempt moved to a status other than succeeded (detail: the status).
    APPLIED = "applied"
    #: The attempt moved to succeeded and the order to paid (``order_paid`` sent).
    ORDER_PAID = "applied: succeeded, order paid"
    #: Capturing or canceling a held payment got no definite answer (detail: the error).
    SETTLE_FAILED = "settle failed"
    #: Repeating an unanswered create got no answer again (detail: the error, if any).
    STILL_UNKNOWN = "still unknown"
    #: Repeating an unanswered create got an answer (detail: the attempt's status).
    RECOVERED = "recovered"
    #: Fetching the payment by id failed (detail: the error).
    FETCH_FAILED = "fetch failed"
    #: A notification of an event we do not act on.
    IGNORED_EVENT = "ignored event"


@dataclass(frozen=True)
class PaymentOutcome:
    kind: PaymentOutcomeKind
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else str(self.kind)


class RefundOutcome(StrEnum):
    #: No refund of ours has the fetched refund's id.
    UNKNOWN_REFUND = "unknown refund"
    #: A notification named a refund the gateway does not have.
    NOT_AT_GATEWAY = "unknown refund (not found at the gateway)"
    #: The refund already had this state or a later one.
    NO_CHANGE = "no change"
    PENDING = "refund pending"
    CANCELED = "refund canceled"
    #: Succeeded; the order already had the status it earns.
    SUCCEEDED = "refund succeeded"
    #: Succeeded, but the order's status may not follow (staff see it on the order).
    SUCCEEDED_ORDER_UNCHANGED = "refund succeeded, order status unchanged"
    ORDER_REFUNDED = "refund succeeded, order refunded"
    ORDER_PARTIALLY_REFUNDED = "refund succeeded, order partially_refunded"

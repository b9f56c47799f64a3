"""The typed payment results keep the texts of the notification log and the job log."""

from __future__ import annotations

from storefront.payment.models import AttemptStatus
from storefront.payment.outcomes import PaymentOutcome, PaymentOutcomeKind, RefundOutcome
from storefront.payment.recheck import RecheckResult


def test_payment_outcomes_read_as_the_notification_log_texts() -> None:
    assert str(PaymentOutcome(PaymentOutcomeKind.NO_CHANGE)) == "no change"
    assert str(PaymentOutcome(PaymentOutcomeKind.ORDER_PAID)) == "applied: succeeded, order paid"
    assert str(PaymentOutcome(PaymentOutcomeKind.APPLIED, AttemptStatus.CANCELED)) == "applied: canceled"
    assert str(PaymentOutcome(PaymentOutcomeKind.NEEDS_REVIEW, "amount 1.00")) == "needs review: amount 1.00"
    assert str(PaymentOutcome(PaymentOutcomeKind.NOT_AT_GATEWAY)) == "unknown payment (not found at the gateway)"


def test_refund_outcomes_and_the_recheck_result_read_as_before() -> None:
    assert RefundOutcome("refund pending") is RefundOutcome.PENDING
    assert str(RefundOutcome.ORDER_PARTIALLY_REFUNDED) == "refund succeeded, order partially_refunded"
    assert str(RecheckResult(checked=2)) == "checked 2"
    assert str(RecheckResult(no_gateway=True)) == "no gateway"

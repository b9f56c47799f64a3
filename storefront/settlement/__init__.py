"""Supplier settlement: the append-only, double-entry ledger in kopecks (``models.py``, ``journal.py``: the one
``post``), what each fact posts (``postings.py``: ``settle_order``), the invariant and the backfill
(``checks.py``), supplier statements (``statements.py``), payout batches (``payouts.py``) and the
``flask settlement`` commands (``cli.py``). The CRM's finance pages (``crm/settlement``) read and drive these.

``init_app`` connects ``settle_order`` to the in-transaction signals of ``storefront.events``
(``payment_captured``, ``refund_succeeded``, ``order_completed``): every payment, refund and completion posts
in the transaction that makes it true, whichever path made it (the buyer, staff, a job, a notification).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_app_context

from storefront.config import SETTINGS

RETURNS_COMMISSION = "SETTLEMENT_REFUND_RETURNS_COMMISSION"
_DEFAULT_RETURNS_COMMISSION: bool = next(s.default for s in SETTINGS if s.name == RETURNS_COMMISSION)


def returns_commission() -> bool:
    """The app's policy; outside an app (a service called on its own) the setting's default."""
    if has_app_context():
        return bool(current_app.config.get(RETURNS_COMMISSION, _DEFAULT_RETURNS_COMMISSION))
    return _DEFAULT_RETURNS_COMMISSION


def _settle(sender: object, **fact: Any) -> None:
    from storefront.settlement.postings import settle_order

    settle_order(fact["session"], fact["order_id"], returns_commission=returns_commission())


def init_app(app: Flask) -> None:
    from storefront.events import order_completed, payment_captured, refund_succeeded
    from storefront.settlement import cli

    for signal in (payment_captured, refund_succeeded, order_completed):
        signal.connect(_settle, weak=False)  # process-wide and idempotent: one receiver however many apps
    app.cli.add_command(cli.settlement_group)

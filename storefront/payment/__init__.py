"""Payments area: the gateway seam (``gateway.py``), the YooKassa adapter (``yookassa.py``),
54-FZ receipts (``receipt.py``), the notification sender allowlist (``notification_sources.py``),
the use cases — one per module: ``attempts.py`` (start, apply a fetched state, settle, re-query),
``refunds.py``, ``notification_handling.py`` (store, re-fetch, act; ``notifications.py`` parses the
body), ``recheck.py`` (the periodic re-check) — over ``models.py``, the use-case errors in
``errors.py``, the checkout's pay step (``starter.py``), the notification endpoint and the order
page's payment block (``views.py``), and the ``flask payment`` group (``cli.py``; its refund command lives with
the ledger, ``storefront.settlement.cli``).

``init_app`` builds the gateway, the policy and the allowlist from the config once and keeps them in
``app.extensions`` (``payment_gateway``, ``payment_policy``, ``notification_sources``); views, the CLI
and the re-check job (``needs=``) read them there and pass them to the use cases as values (which
never read ``current_app``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, Flask

from storefront.payment.notification_sources import NotificationSourcePolicy
from storefront.payment.starter import NoOnlinePayment, PaymentStarter, YooKassaStarter
from storefront.payment.yookassa import build_gateway

bp = Blueprint("payment", __name__)
logger = logging.getLogger(__name__)


def init_app(app: Flask, starter: PaymentStarter | None = None) -> None:
    from storefront.events import order_status_changed
    from storefront.payment import cli, closing, emails, recheck, views  # noqa: F401  (routes; jobs; refund e-mail)
    from storefront.payment.attempts import PaymentPolicy, latest_attempt

    gateway = build_gateway(app.config)
    policy = PaymentPolicy(
        two_stage=bool(app.config.get("YOOKASSA_TWO_STAGE")),
        paying_grace=timedelta(minutes=app.config["ORDER_PAYING_GRACE_MINUTES"]),
    )
    app.extensions["payment_gateway"] = gateway
    app.extensions["payment_policy"] = policy
    app.extensions["notification_sources"] = NotificationSourcePolicy.from_config(
        app.config["YOOKASSA_NOTIFICATION_NETWORKS"], app.config["TRUSTED_PROXIES"]
    )
    if starter is None:
        starter = YooKassaStarter(gateway, policy) if gateway is not None else NoOnlinePayment()
    app.extensions["payment_starter"] = starter

    def payment_attempt(order: object) -> object:
        from storefront.extensions import db

        return latest_attempt(db.session(), order.id)  # type: ignore[attr-defined]

    app.jinja_env.globals["payment_attempt"] = payment_attempt

    def money_ledger(order: object) -> object:
        from storefront.extensions import db
        from storefront.payment.ledger import order_ledger

        return order_ledger(db.session(), order.id)  # type: ignore[attr-defined]

    def payment_refresh(order: object) -> object:
        """The order page's reload plan while its payment is pending at YooKassa (``?wait=`` is the step)."""
        from flask import request

        from storefront.extensions import db
        from storefront.payment.waiting import refresh_plan

        if not getattr(order, "awaiting_payment", False):
            return None
        return refresh_plan(latest_attempt(db.session(), order.id), request.args.get("wait"))  # type: ignore[attr-defined]

    app.jinja_env.globals["money_ledger"] = money_ledger
    app.jinja_env.globals["payment_refresh"] = payment_refresh

    # The goods handed over: the closing receipt goes out at once (``closing.send_closing_receipts`` retries).
    order_status_changed.connect(closing.send_on_handover)
    app.cli.add_command(cli.payment_group)
    app.register_blueprint(bp)

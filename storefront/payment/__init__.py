"""Payments area: the gateway seam (``gateway.py``), the YooKassa adapter (``yookassa.py``),
54-FZ receipts (``receipt.py``), the notification sender allowlist (``notification_sources.py``)
and the checkout's pay step (``starter.py``, ``views.py``).

``init_app`` builds the gateway and the allowlist from the config once; services receive them as
values (they never read ``current_app``).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from storefront.payment.notification_sources import NotificationSourcePolicy
from storefront.payment.starter import NoOnlinePayment, PaymentStarter
from storefront.payment.yookassa import build_gateway

bp = Blueprint("payment", __name__)


def init_app(app: Flask, starter: PaymentStarter | None = None) -> None:
    from storefront.payment import views  # noqa: F401  (registers the routes on bp)

    app.extensions["payment_gateway"] = build_gateway(app.config)
    app.extensions["notification_sources"] = NotificationSourcePolicy.from_config(
        app.config["YOOKASSA_NOTIFICATION_NETWORKS"], app.config["YOOKASSA_TRUSTED_PROXIES"]
    )
    app.extensions["payment_starter"] = starter or NoOnlinePayment()
    app.register_blueprint(bp)

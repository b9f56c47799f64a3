"""Payments area: the gateway seam (``gateway.py``), the YooKassa adapter (``yookassa.py``),
54-FZ receipts (``receipt.py``) and the notification sender allowlist (``notification_sources.py``).

``init_app`` builds the gateway and the allowlist from the config once; services receive them as
values (they never read ``current_app``). Orders, checkout and the notification view plug in here.
"""

from __future__ import annotations

from flask import Flask

from storefront.payment.notification_sources import NotificationSourcePolicy
from storefront.payment.yookassa import build_gateway


def init_app(app: Flask) -> None:
    app.extensions["payment_gateway"] = build_gateway(app.config)
    app.extensions["notification_sources"] = NotificationSourcePolicy.from_config(
        app.config["YOOKASSA_NOTIFICATION_NETWORKS"], app.config["YOOKASSA_TRUSTED_PROXIES"]
    )

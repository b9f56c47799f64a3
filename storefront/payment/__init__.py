"""Payment area (seam). After placement the buyer lands on ``payment.pay``; the YooKassa issue
replaces ``gateway`` with a real one (create payment, redirect to confirmation)."""

from __future__ import annotations

from flask import Blueprint, Flask

from storefront.payment.gateway import NoOnlinePayment, PaymentGateway

bp = Blueprint("payment", __name__)


def init_app(app: Flask, gateway: PaymentGateway | None = None) -> None:
    from storefront.payment import views  # noqa: F401  (registers the routes on bp)

    app.extensions["payment_gateway"] = gateway or NoOnlinePayment()
    app.register_blueprint(bp)

"""Buyer protection (issue 15): every paid order is covered; after delivery the buyer has an inspection window
(3 days for express parcels, 7 for cargo) to confirm receipt or open a dispute, then the order confirms itself
(``services.confirm_inspected_orders``); a quality claim stays possible for 30 days after. ``models.py`` (disputes,
lines, thread, photos), ``policy.py`` (windows, answer times), ``services.py`` (open, write, decide, settle),
``photos.py`` (checked, re-encoded, stored under ``MEDIA_ROOT``), ``web.py`` (words, e-mails), ``views.py``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

bp = Blueprint("protection", __name__)


def init_app(app: Flask) -> None:
    from storefront.protection import services, views  # noqa: F401  (routes on bp; the confirmation job)
    from storefront.protection.policy import ProtectionPolicy
    from storefront.protection.web import (
        decision_label,
        dispute_status_label,
        kind_label,
        reason_label,
        time_left,
    )

    try:
        app.extensions[services.POLICY_EXTENSION] = ProtectionPolicy.from_config(app.config)
    except ValueError as error:
        from storefront.config import ConfigError

        raise ConfigError(f"DISPUTE_ANSWER_DAYS_BY_TIER: {error}") from None

    def order_protection(order: Any) -> Any:
        from storefront.db import utcnow
        from storefront.extensions import db
        from storefront.protection.policy import order_protection as protection_of
        from storefront.protection.web import current_policy

        return protection_of(db.session(), order, current_policy(), utcnow())

    def order_disputes(order: Any) -> Any:
        from storefront.extensions import db

        return services.order_disputes(db.session(), order.id)

    app.extensions["photo_upload_endpoints"] = set(views.UPLOAD_ENDPOINTS)
    app.before_request_funcs.setdefault(None, []).insert(0, views.bound_uploads)

    app.jinja_env.globals["order_protection"] = order_protection
    app.jinja_env.globals["order_disputes"] = order_disputes
    for helper in (decision_label, dispute_status_label, kind_label, time_left):
        app.add_template_global(helper)
    app.add_template_global(reason_label, "dispute_reason_label")

    app.register_blueprint(bp)

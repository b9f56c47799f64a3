"""The reorder statistics' receiver of the storefront's ``order_paid`` and ``order_refunded`` (connected by
``crm.init_app``). A receiver is an entry point like a view: it reads the policy from the app and passes it on."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from crm.reorder.services import POLICY_EXTENSION, update_buyer_stats
from storefront.extensions import db

logger = logging.getLogger(__name__)


def update_reorder_stats(sender: object, **fields: Any) -> None:
    """Keep the buyer's reorder statistics current after a payment or a refund (``order_paid``/``order_refunded``)."""
    buyer_id = fields.get("buyer_id")
    if buyer_id is None:
        return
    policy = current_app.extensions[POLICY_EXTENSION]
    with Session(db.engine) as session:
        try:
            update_buyer_stats(session, buyer_id, policy=policy)
            session.commit()
        except Exception:  # the payment is already committed; the nightly recompute repairs a miss
            logger.exception("reorder statistics after order %s failed", fields.get("number"))

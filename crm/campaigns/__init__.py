"""Marketing campaigns: e-mail to a segment with consent, one-click unsubscribe, tracking, triggers, reports.

``bp`` holds the staff pages under /crm/campaigns; ``public_bp`` holds the buyer-facing links a campaign mail
carries (open pixel, click redirect, unsubscribe) and is registered at the application root by ``crm.init_app``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
public_bp = Blueprint("campaign_links", __name__, url_prefix="/c")

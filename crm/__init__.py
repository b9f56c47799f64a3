"""Mostik buyer CRM: the staff side. May import ``storefront``; never the reverse.

``init_app`` wires the blueprints under /crm (staff session and permission checks before every request; the
dashboard is /crm/ itself), the CLI groups (``staff``, ``crm``: ``crm.cli``), the reorder policy
(``CRM_REORDER_*``) and connects the areas' receivers of the storefront's ``order_paid`` (``crm.tiers.receivers``,
``crm.reorder.receivers``) and ``order_refunded`` (``crm.reorder.receivers``) signals, and the CRM's share of a
buyer's data export and erasure (``crm.privacy.parts``).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from crm import models  # noqa: F401  (the CRM tables join the metadata)

bp = Blueprint("crm", __name__, url_prefix="/crm", template_folder="templates")


def init_app(app: Flask) -> None:
    from crm.cli import crm_group
    from crm.privacy.parts import PART as privacy_part
    from crm.reorder.receivers import update_reorder_stats
    from crm.reorder.services import POLICY_EXTENSION, ReorderPolicy
    from crm.staff.cli import staff_group
    from crm.tiers.receivers import upgrade_tier_on_payment
    from storefront.events import order_paid, order_refunded
    from storefront.privacy.parts import register_part

    app.extensions[POLICY_EXTENSION] = ReorderPolicy.from_config(app.config)
    auth.init_app(app)
    app.register_blueprint(bp)
    # The links in campaign mail (pixel, click redirect, unsubscribe) are for buyers: outside /crm and its
    # staff checks (crm.auth's before_request hooks belong to ``bp`` only).
    app.register_blueprint(campaign_links_bp)
    app.cli.add_command(staff_group)
    app.cli.add_command(crm_group)
    # Receivers run in connection order: the tier upgrade first, then the reorder statistics.
    order_paid.connect(upgrade_tier_on_payment, weak=False)
    order_paid.connect(update_reorder_stats, weak=False)
    order_refunded.connect(update_reorder_stats, weak=False)
    # The CRM's share of a buyer's data in the storefront's export and erasure.
    register_part(app, privacy_part)
    from crm.disputes import receivers  # noqa: F401  (registers the staff's dispute e-mails)

    app.extensions["photo_upload_endpoints"].add("crm.disputes.dispute_message")  # bounded like the storefront's
    # The bank statement upload is bounded by its own setting, with its own words, before anything reads it.
    app.before_request_funcs.setdefault(None, []).insert(0, _banking_views.bound_statement_upload)


# The blueprint tree is built once, at import (Flask refuses setup calls after the first registration).
from crm import auth  # noqa: E402
from crm.audit import bp as audit_bp  # noqa: E402
from crm.audit import views as _audit_views  # noqa: E402, F401
from crm.banking import bp as banking_bp  # noqa: E402
from crm.banking import views as _banking_views  # noqa: E402
from crm.buyers import bp as buyers_bp  # noqa: E402
from crm.buyers import views as _buyer_views  # noqa: E402, F401
from crm.campaigns import bp as campaigns_bp  # noqa: E402
from crm.campaigns import cli as _campaign_cli  # noqa: E402, F401
from crm.campaigns import jobs as _campaign_jobs  # noqa: E402, F401
from crm.campaigns import overview_views as _campaign_overview_views  # noqa: E402, F401
from crm.campaigns import public_bp as campaign_links_bp  # noqa: E402
from crm.campaigns import public_views as _campaign_public_views  # noqa: E402, F401
from crm.campaigns import views as _campaign_views  # noqa: E402, F401
from crm.dashboard import views as _dashboard_views  # noqa: E402
from crm.disputes import bp as disputes_bp  # noqa: E402
from crm.disputes import services as _dispute_jobs  # noqa: E402, F401
from crm.disputes import views as _dispute_views  # noqa: E402, F401
from crm.documents import bp as documents_bp  # noqa: E402
from crm.documents import views as _document_views  # noqa: E402, F401
from crm.fulfilment import bp as fulfilment_bp  # noqa: E402
from crm.fulfilment import views as _fulfilment_views  # noqa: E402, F401
from crm.orders import bp as orders_bp  # noqa: E402
from crm.orders import list_views as _order_list_views  # noqa: E402, F401
from crm.orders import views as _order_views  # noqa: E402, F401
from crm.privacy import bp as privacy_bp  # noqa: E402
from crm.privacy import views as _privacy_views  # noqa: E402, F401
from crm.promo import bp as promo_bp  # noqa: E402
from crm.promo import views as _promo_views  # noqa: E402, F401
from crm.quotes import bp as quotes_bp  # noqa: E402
from crm.quotes import views as _quote_views  # noqa: E402, F401
from crm.reorder import bp as reorder_bp  # noqa: E402
from crm.reorder import cli as _reorder_cli  # noqa: E402, F401
from crm.reorder import views as _reorder_views  # noqa: E402, F401
from crm.search import bp as search_bp  # noqa: E402
from crm.search import views as _search_views  # noqa: E402, F401
from crm.security import bp as security_bp  # noqa: E402
from crm.security import views as _security_views  # noqa: E402, F401
from crm.segments import bp as segments_bp  # noqa: E402
from crm.segments import views as _segment_views  # noqa: E402, F401
from crm.settlement import bp as settlement_bp  # noqa: E402
from crm.settlement import views as _settlement_views  # noqa: E402, F401
from crm.staff import bp as staff_bp  # noqa: E402
from crm.staff import views as _staff_views  # noqa: E402, F401
from crm.tiers import bp as tiers_bp  # noqa: E402
from crm.tiers import cli as _tier_cli  # noqa: E402, F401
from crm.tiers import views as _tier_views  # noqa: E402, F401
from crm.workspace import bp as workspace_bp  # noqa: E402
from crm.workspace import views as _workspace_views  # noqa: E402, F401

# The landing page keeps the endpoint ``crm.dashboard`` (every template links to it).
bp.add_url_rule("/", "dashboard", _dashboard_views.dashboard, methods=["GET"])
bp.before_request(auth.load_staff)
bp.before_request(auth.deny_undeclared)
bp.before_request(auth.require_second_factor)
for _child in (
    staff_bp,
    security_bp,
    audit_bp,
    tiers_bp,
    buyers_bp,
    orders_bp,
    disputes_bp,
    fulfilment_bp,
    workspace_bp,
    reorder_bp,
    quotes_bp,
    segments_bp,
    promo_bp,
    campaigns_bp,
    search_bp,
    privacy_bp,
    settlement_bp,
    banking_bp,
    documents_bp,
):
    bp.register_blueprint(_child)

"""Who may do what in the CRM: the ONE declaration, and the decorator that enforces it.

Every CRM view is decorated with ``@requires("<permission>")`` (or listed in ``PUBLIC_ENDPOINTS``); a
blueprint-level check in ``crm.auth`` refuses any CRM endpoint that has neither, so a forgotten decorator
fails closed. ``tests/web/test_crm_permissions.py`` walks every ``/crm`` rule against this mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, url_for
from werkzeug.wrappers import Response

from crm.staff.models import Role

ADMIN, MARKETER, MANAGER = Role.ADMIN, Role.MARKETER, Role.ACCOUNT_MANAGER
#: Order processing, the Harbin warehouse and logistics: orders and shipments in full, buyers as a summary (no
#: contacts beyond what an order needs), no marketing, campaigns or segments.
OPERATOR = Role.OPERATOR
#: Supplier settlement: the ledger, statements and payouts; orders in full (matching money to them), buyers as a
#: summary, no marketing, campaigns or segments.
FINANCE = Role.FINANCE

#: permission → roles that hold it.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "dashboard.view": frozenset({ADMIN, MARKETER, MANAGER, OPERATOR, FINANCE}),
    # Marketers see buyers only through segments and campaigns (issue 6), not the buyer cards; operators open a
    # card as a summary (``sees_buyer_in_full``).
    "buyers.view": frozenset({ADMIN, MANAGER, OPERATOR, FINANCE}),
    "buyers.export": frozenset({ADMIN, MANAGER}),
    "buyers.assign": frozenset({ADMIN}),
    # The buyer's Telegram and WhatsApp typed on the card: a manager only on their assigned buyers
    # (``sees_buyer_in_full``), audited.
    "buyers.contacts": frozenset({ADMIN, MANAGER}),
    # A buyer's personal data: the full export and erasure (152-FZ requests), audited with a reason.
    "buyers.privacy": frozenset({ADMIN}),
    # The privacy policy and the offer: each publish is a new version buyers agree to.
    "legal.edit": frozenset({ADMIN}),
    # Notes and tasks: an account manager only on their assigned buyers (``sees_buyer_in_full``).
    "notes.write": frozenset({ADMIN, MANAGER}),
    "tasks.write": frozenset({ADMIN, MANAGER}),
    # «Мои клиенты»; admins may open any manager's (?manager=).
    "workspace.view": frozenset({ADMIN, MANAGER}),
    "audit.view": frozenset({ADMIN}),
    "tiers.view": frozenset({ADMIN, MARKETER, MANAGER}),
    "tiers.edit": frozenset({ADMIN}),
    "tiers.override": frozenset({ADMIN}),
    # Account managers open any order (contact data only for their own buyers) and refund only their own
    # buyers' orders: that scope is checked in crm.orders.queries.may_act_on.
    # Operators see every order in full (they pack and ship them).
    "orders.view": frozenset({ADMIN, MANAGER, OPERATOR, FINANCE}),
    "orders.refund": frozenset({ADMIN, MANAGER}),
    # The order list (/crm/orders): a manager lands on their own buyers' orders (a filter they can clear),
    # admins and operators on all; the CSV export is audited and a manager's holds only their own buyers.
    "orders.list": frozenset({ADMIN, MANAGER, OPERATOR, FINANCE}),
    "orders.export": frozenset({ADMIN, MANAGER, OPERATOR, FINANCE}),
    # Moving the goods' status (confirm, pack, ship, deliver, cancel) on the order page.
    "orders.process": frozenset({ADMIN, OPERATOR}),
    # Shipments, tracking and consolidated cargo.
    "shipments.edit": frozenset({ADMIN, OPERATOR}),
    # «Повторные заказы»: a manager sees their own buyers, an admin everyone.
    "reorders.view": frozenset({ADMIN, MANAGER}),
    # Retention analytics (aggregates only, no personal data) and their CSV exports.
    "retention.view": frozenset({ADMIN, MARKETER}),
    # Segments show marketers names, cities and tiers only (no contacts); promo codes are theirs to issue.
    "segments.view": frozenset({ADMIN, MARKETER}),
    "segments.edit": frozenset({ADMIN, MARKETER}),
    # A segment's buyers as CSV (audited): contacts only for those who hold «buyers.export».
    "segments.export": frozenset({ADMIN, MARKETER}),
    "promo.view": frozenset({ADMIN, MARKETER}),
    "promo.edit": frozenset({ADMIN, MARKETER}),
    # Campaigns (issue 8): marketers and admins build, send and read them.
    "campaigns.view": frozenset({ADMIN, MARKETER}),
    "campaigns.edit": frozenset({ADMIN, MARKETER}),
    "campaigns.send": frozenset({ADMIN, MARKETER}),
    # The cross-campaign report's tables as CSV (aggregates only, no buyer data), audited.
    "campaigns.export": frozenset({ADMIN, MARKETER}),
    # Search (issue 19): the synonyms search uses and the demand signals (queries only, no buyer data).
    "synonyms.view": frozenset({ADMIN, MARKETER}),
    "synonyms.edit": frozenset({ADMIN, MARKETER}),
    "demand.view": frozenset({ADMIN, MARKETER}),
    "demand.export": frozenset({ADMIN, MARKETER}),
    # One's own account: password, second factor, sessions (every role).
    "self.security": frozenset(Role),
    # Staff accounts: sign a member out everywhere, reset their second factor.
    "staff.manage": frozenset({ADMIN}),
    # Supplier settlement (issue 15): balances, statements (page and audited CSV), payout batches.
    "settlement.view": frozenset({ADMIN, FINANCE}),
    "settlement.export": frozenset({ADMIN, FINANCE}),
    "payouts.edit": frozenset({ADMIN, FINANCE}),
    # Bank statements (issue 16): upload, the review queue; matching by hand and «не наш платёж» are audited.
    "bank_statements.view": frozenset({ADMIN, FINANCE}),
    "bank_statements.edit": frozenset({ADMIN, FINANCE}),
    # Buyer protection (issue 15): the dispute desk. A manager sees and answers only their own buyers' disputes
    # (checked in crm.disputes.views); operators and admins decide (refunds through the refund service).
    "disputes.view": frozenset({ADMIN, MANAGER, OPERATOR}),
    "disputes.reply": frozenset({ADMIN, MANAGER, OPERATOR}),
    "disputes.decide": frozenset({ADMIN, OPERATOR}),
    # Closing documents (issue 16): a company's УПД for whoever sees its order; the акт сверки (money both ways)
    # for admins, finance and a manager on their own buyers (checked in crm.documents.views.may_reconcile).
    "documents.view": frozenset({ADMIN, MANAGER, OPERATOR, FINANCE}),
    "reconciliation.view": frozenset({ADMIN, MANAGER, FINANCE}),
    # Quotes (issue 18): a manager builds, sends and withdraws them for their own buyers (``sees_buyer_in_full``,
    # checked in crm.quotes.views), an admin for anyone; only an admin approves a price below the floor.
    "quotes.view": frozenset({ADMIN, MANAGER}),
    "quotes.edit": frozenset({ADMIN, MANAGER}),
    "quotes.approve": frozenset({ADMIN}),
}

#: Endpoints open without a staff session (the sign-in page, its second step, and signing out).
PUBLIC_ENDPOINTS = frozenset({"crm.staff.login", "crm.security.login_code", "crm.staff.logout"})

F = TypeVar("F", bound=Callable[..., Any])


def has_permission(role: str | None, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"undeclared CRM permission {permission!r}")
    return role is not None and role in PERMISSIONS[permission]


def sees_buyer_in_full(role: str | None, staff_id: int | None, manager_id: int | None) -> bool:
    """The assignment scope: an account manager sees (and writes notes and tasks on) only their assigned buyers
    in full, other buyers as a read-only summary; an admin sees every buyer in full."""
    if role == ADMIN:
        return True
    return role == MANAGER and staff_id is not None and manager_id == staff_id


def _enforce(permission: str) -> Response | None:
    # ``g.staff`` is set by ``crm.auth.load_staff`` before every CRM request; reading it here keeps this module
    # free of ``crm.auth`` (which imports the declarations above).
    staff = g.get("staff")
    if staff is None:
        return redirect(url_for("crm.staff.login", next=request.full_path.rstrip("?")))
    if not has_permission(staff.role, permission):
        abort(403)
    return None


def requires(permission: str) -> Callable[[F], F]:
    """Mark a view as needing ``permission``: anonymous → sign-in redirect, wrong role → 403."""
    if permission not in PERMISSIONS:
        raise KeyError(f"undeclared CRM permission {permission!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            denied = _enforce(permission)
            if denied is not None:
                return denied
            return view(*args, **kwargs)

        wrapper.crm_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator

"""The staff session: its own keys in the signed Flask session, separate from Flask-Login's buyer session.

Why not Flask-Login: one app has one ``LoginManager`` and one ``current_user``, which the storefront uses for
buyers. A staff sign-in must not make anyone a buyer (or the reverse), so the CRM keeps two keys of its own
(``crm_staff_id`` and the sign-in / last-activity times) and loads the staff user itself in ``g.staff``.
Sessions expire after ``CRM_SESSION_IDLE_MINUTES`` of inactivity and ``CRM_SESSION_MAX_HOURS`` after sign-in.
"""

from __future__ import annotations

import time

from flask import Flask, abort, current_app, flash, g, request, session
from flask_babel import gettext as _

from crm.permissions import PUBLIC_ENDPOINTS, has_permission
from crm.staff.models import StaffUser
from storefront.extensions import db

SESSION_KEY = "crm_staff_id"
SIGNED_IN_KEY = "crm_signed_in_at"
SEEN_KEY = "crm_seen_at"


def sign_in(staff: StaffUser) -> None:
    now = int(time.time())
    session[SESSION_KEY] = staff.id
    session[SIGNED_IN_KEY] = now
    session[SEEN_KEY] = now


def sign_out() -> None:
    for key in (SESSION_KEY, SIGNED_IN_KEY, SEEN_KEY):
        session.pop(key, None)


def current_staff() -> StaffUser | None:
    return g.get("staff")


def require_staff() -> StaffUser:
    """The signed-in staff user of a view behind ``@requires``, which has already sent everyone else away."""
    staff = current_staff()
    if staff is None:
        abort(403)  # unreachable behind @requires; fail closed all the same
    return staff


def load_staff() -> None:
    """Before every CRM request: load the signed-in staff user, or end an expired / disabled session."""
    g.staff = None
    staff_id = session.get(SESSION_KEY)
    if staff_id is None:
        return
    now = int(time.time())
    idle = current_app.config["CRM_SESSION_IDLE_MINUTES"] * 60
    maximum = current_app.config["CRM_SESSION_MAX_HOURS"] * 3600
    if now - session.get(SEEN_KEY, 0) > idle or now - session.get(SIGNED_IN_KEY, 0) > maximum:
        sign_out()
        flash(_("Your CRM session has expired. Please sign in again."), "info")
        return
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or not staff.is_active:
        sign_out()
        return
    session[SEEN_KEY] = now
    g.staff = staff


def deny_undeclared() -> None:
    """Fail closed: a CRM endpoint with neither ``@requires`` nor a place in PUBLIC_ENDPOINTS is refused."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return
    view = current_app.view_functions.get(endpoint)
    if getattr(view, "crm_permission", None) is None:
        abort(403)


def init_app(app: Flask) -> None:
    @app.context_processor
    def staff_context() -> dict[str, object]:
        staff = g.get("staff")
        return {
            "crm_staff": staff,
            "crm_can": lambda permission: staff is not None and has_permission(staff.role, permission),
        }

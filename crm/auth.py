"""The staff session: its own keys in the signed Flask session, separate from Flask-Login's buyer session.

Why not Flask-Login: one app has one ``LoginManager`` and one ``current_user``, which the storefront uses for
buyers. A staff sign-in must not make anyone a buyer (or the reverse), so the CRM keeps keys of its own
(``crm_staff_id``, the session token, the sign-in / last-activity times) and loads the staff user itself in
``g.staff``. The token names a ``login_sessions`` row (``storefront.logins``): signing out, a password change or
«sign out everywhere» deletes rows, so a copied cookie stops working. Sessions also expire after
``CRM_SESSION_IDLE_MINUTES`` of inactivity and ``CRM_SESSION_MAX_HOURS`` after sign-in. Staff of the roles in
``CRM_TOTP_REQUIRED_ROLES`` without a second factor may only enrol one (``require_second_factor``).
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm.permissions import PUBLIC_ENDPOINTS, has_permission
from crm.staff.models import StaffUser
from storefront.db import utcnow
from storefront.extensions import db
from storefront.logins.models import LoginKind
from storefront.logins.services import end_session, find_session, open_session, touch
from storefront.logins.web import current_client, renew_session, survives_sign_in
from storefront.security import safe_next_url

SESSION_KEY = "crm_staff_id"
TOKEN_KEY = "crm_session"
SIGNED_IN_KEY = "crm_signed_in_at"
SEEN_KEY = "crm_seen_at"
#: Between the password and the TOTP code: who, and since when (the code must follow within PENDING_SECONDS).
PENDING_KEY = "crm_pending_staff_id"
PENDING_AT_KEY = "crm_pending_at"
PENDING_SECONDS = 300
#: A buyer signing in in the same browser keeps the staff sign-in.
survives_sign_in(SESSION_KEY, TOKEN_KEY, SIGNED_IN_KEY, SEEN_KEY)
#: What a staff member who must enrol a second factor may still open.
ENROLMENT_ENDPOINTS = frozenset(
    {"crm.security.totp_enrol", "crm.security.login_code", "crm.staff.login", "crm.staff.logout"}
)


def sign_in(staff: StaffUser) -> None:
    """A fresh session (new CSRF token; a buyer's sign-in in this browser stays), with a new session row. Flushes;
    the caller commits."""
    renew_session()
    maximum = timedelta(hours=current_app.config["CRM_SESSION_MAX_HOURS"])
    token = open_session(db.session(), LoginKind.STAFF, staff.id, current_client(), stale_before=utcnow() - maximum)
    now = int(time.time())
    session[SESSION_KEY] = staff.id
    session[TOKEN_KEY] = token
    session[SIGNED_IN_KEY] = now
    session[SEEN_KEY] = now


def sign_out() -> None:
    """End this browser's staff session: its row (every copy of the cookie stops working) and its keys. Commits."""
    token = session.get(TOKEN_KEY)
    if isinstance(token, str) and token:
        end_session(db.session(), token)
        db.session.commit()
    for key in (SESSION_KEY, TOKEN_KEY, SIGNED_IN_KEY, SEEN_KEY, PENDING_KEY, PENDING_AT_KEY):
        session.pop(key, None)


def next_url() -> str:
    """Where a completed sign-in goes: the page asked for (same site only), else the dashboard."""
    return safe_next_url(request.args.get("next"), url_for("crm.dashboard"))


def session_token() -> str | None:
    token = session.get(TOKEN_KEY)
    return token if isinstance(token, str) and token else None


def await_second_factor(staff: StaffUser) -> None:
    """The password was right and the staff member has a second factor: remember who, for the code page."""
    session[PENDING_KEY] = staff.id
    session[PENDING_AT_KEY] = int(time.time())


def pending_staff() -> StaffUser | None:
    """The staff member whose password was accepted in this browser within PENDING_SECONDS, awaiting the code."""
    staff_id = session.get(PENDING_KEY)
    if not isinstance(staff_id, int) or int(time.time()) - int(session.get(PENDING_AT_KEY, 0)) > PENDING_SECONDS:
        return None
    staff = db.session.get(StaffUser, staff_id)
    return staff if staff is not None and staff.is_active and staff.totp_secret is not None else None


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
    row = find_session(db.session(), LoginKind.STAFF, staff_id, session_token() or "")
    staff = db.session.get(StaffUser, staff_id) if row is not None else None
    if row is None or staff is None or not staff.is_active:
        sign_out()
        return
    if touch(db.session(), row):
        db.session.commit()
    session[SEEN_KEY] = now
    g.staff = staff


def require_second_factor() -> Response | None:
    """Before every CRM request: a staff member whose role must use a TOTP code and has none yet may only enrol."""
    staff = g.get("staff")
    if staff is None or staff.totp_secret is not None or request.endpoint in ENROLMENT_ENDPOINTS:
        return None
    if staff.role not in current_app.config["CRM_TOTP_REQUIRED_ROLES"]:
        return None
    flash(_("Your role signs in with a one-time code from an authenticator app. Set it up to continue."), "info")
    return redirect(url_for("crm.security.totp_enrol"))


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

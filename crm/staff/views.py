"""CRM sign-in and sign-out (throttled per IP and per account, CSRF by Flask-WTF)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from crm.auth import current_staff, sign_in, sign_out
from crm.staff import bp
from crm.staff.forms import EmptyForm, StaffLoginForm
from crm.staff.services import BadCredentials, authenticate
from storefront.extensions import db, limiter
from storefront.security import safe_next_url


def _account_key() -> str:
    return "crm-login:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key)
def login() -> str | Response | tuple[str, int]:
    if current_staff() is not None:
        return redirect(url_for("crm.dashboard"))
    form = StaffLoginForm()
    if form.validate_on_submit():
        try:
            staff = authenticate(db.session(), form.email.data, form.password.data)
        except BadCredentials:
            form.password.errors = [_("Wrong email or password.")]
        else:
            db.session.commit()
            sign_in(staff)
            return redirect(safe_next_url(request.args.get("next"), url_for("crm.dashboard")))
    status = 400 if form.is_submitted() else 200
    return render_template("crm/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    if EmptyForm().validate_on_submit():
        sign_out()
        flash(_("You are signed out of the CRM."), "info")
    return redirect(url_for("crm.staff.login"))

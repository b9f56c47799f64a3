"""Account security in the CRM: the sign-in code step (TOTP or a recovery code), one's own password, second
factor and sessions; for admins, every staff member's sessions and second factor. Every change is audited."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.auth import (
    PENDING_KEY,
    current_staff,
    next_url,
    pending_staff,
    require_staff,
    session_token,
    sign_in,
    sign_out,
)
from crm.permissions import requires
from crm.security import bp
from crm.staff.forms import CodeForm, ConfirmForm, EnrolForm, PasswordChangeForm
from crm.staff.models import Role, StaffUser
from crm.staff.services import BadCredentials, StaffError, change_password
from crm.staff.totp import (
    TotpError,
    accept_code,
    confirm_enrolment,
    grouped,
    new_secret,
    provisioning_uri,
    qr_data_uri,
    recovery_codes_left,
    reset_totp,
    use_recovery_code,
)
from storefront.db import utcnow
from storefront.extensions import db, limiter
from storefront.logins.models import LoginKind
from storefront.logins.services import end_sessions, session_counts, sessions_of, token_id

#: How each role is called on the staff page.
ROLE_NAMES = {
    Role.ADMIN: _l("Administrator"),
    Role.MARKETER: _l("Marketer"),
    Role.ACCOUNT_MANAGER: _l("Account manager"),
    Role.OPERATOR: _l("Order operator"),
    Role.FINANCE: _l("Finance officer"),
}
#: The secret being enrolled, between showing the QR code and the first code (this browser's signed cookie).
ENROL_SECRET_KEY = "crm_totp_enrol_secret"


def _pending_key() -> str:
    return f"crm-code:{session.get(PENDING_KEY)}"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_pending_key)
def login_code() -> str | Response | tuple[str, int]:
    """The second step: a code from the authenticator app (each used once) or a one-time recovery code."""
    if current_staff() is not None:
        return redirect(url_for("crm.dashboard"))
    staff = pending_staff()
    if staff is None:
        flash(_("Sign in with your email and password first."), "info")
        return redirect(url_for("crm.staff.login"))
    form = CodeForm()
    if form.validate_on_submit():
        code = form.code.data
        if accept_code(db.session(), staff, code):
            action = None
        elif use_recovery_code(db.session(), staff, code):
            action = AuditAction.TOTP_RECOVERY_USED
        else:
            action = AuditAction.TOTP_REFUSED
        if action is not None:
            record(db.session(), staff, action, "staff", staff.id, request.remote_addr)
        if action == AuditAction.TOTP_REFUSED:
            db.session.commit()
            form.code.errors = [_("Wrong or already used code. Enter the current code from the app.")]
        else:
            staff.last_login_at = utcnow()
            sign_in(staff)  # drops the pending keys with the rest of the old session
            db.session.commit()
            if action == AuditAction.TOTP_RECOVERY_USED:
                flash(_("You signed in with a recovery code; it will not work again."), "info")
            return redirect(next_url())
    status = 400 if form.is_submitted() else 200
    return render_template("crm/login_code.html", form=form), status


def _refused(message: str) -> tuple[str, int]:
    return render_template("crm/message.html", message=message), 400


def _render_me(password_form: PasswordChangeForm | None = None, status: int = 200) -> tuple[str, int]:
    staff = require_staff()
    return (
        render_template(
            "crm/me.html",
            rows=sessions_of(db.session(), LoginKind.STAFF, staff.id),
            current_id=token_id(session_token() or ""),
            password_form=password_form or PasswordChangeForm(formdata=None),
            confirm_form=ConfirmForm.for_page(),
            codes_left=recovery_codes_left(db.session(), staff.id),
            totp_required=staff.role in current_app.config["CRM_TOTP_REQUIRED_ROLES"],
        ),
        status,
    )


@bp.get("/me")
@requires("self.security")
def me() -> tuple[str, int]:
    return _render_me()


@bp.post("/me/password")
@requires("self.security")
def change_own_password() -> Response | tuple[str, int]:
    staff = require_staff()
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _render_me(form, 400)
    try:
        ended = change_password(db.session(), staff, form.current.data, form.new.data, keep_token=session_token())
    except BadCredentials:
        db.session.rollback()
        form.current.errors = [_("The current password is wrong.")]
        return _render_me(form, 400)
    except StaffError as refused:
        db.session.rollback()
        form.new.errors = [str(refused)]
        return _render_me(form, 400)
    record(db.session(), staff, AuditAction.STAFF_PASSWORD_CHANGE, "staff", staff.id, request.remote_addr, str(ended))
    db.session.commit()
    flash(_("The password is changed. Every other session is signed out."), "success")
    return redirect(url_for("crm.security.me"))


@bp.post("/me/sessions/end-others")
@requires("self.security")
def end_own_other_sessions() -> Response | tuple[str, int]:
    staff = require_staff()
    if not ConfirmForm().validate_on_submit():
        return _refused(_("The form has expired. Reload the page and try again."))
    ended = end_sessions(db.session(), LoginKind.STAFF, staff.id, keep_token=session_token())
    record(db.session(), staff, AuditAction.STAFF_SESSIONS_END, "staff", staff.id, request.remote_addr, str(ended))
    db.session.commit()
    flash(_("Every other session is signed out. You stay signed in here."), "success")
    return redirect(url_for("crm.security.me"))


@bp.route("/me/totp", methods=["GET", "POST"])
@requires("self.security")
def totp_enrol() -> str | tuple[str, int]:
    """Set up (or set up again) the authenticator app: QR code and the secret to type by hand, then a code to
    confirm; the recovery codes are shown once, on the answer."""
    staff = require_staff()
    form = EnrolForm()
    secret = session.get(ENROL_SECRET_KEY)
    if request.method == "POST" and isinstance(secret, str):
        if form.validate_on_submit():
            try:
                codes = confirm_enrolment(db.session(), staff, secret, form.code.data)
            except TotpError as refused:
                db.session.rollback()
                form.code.errors = [str(refused)]
            else:
                record(db.session(), staff, AuditAction.TOTP_ENROL, "staff", staff.id, request.remote_addr)
                db.session.commit()
                session.pop(ENROL_SECRET_KEY, None)
                return render_template("crm/totp_codes.html", codes=codes)
    if request.method == "GET" or not isinstance(secret, str):
        secret = new_secret()
        session[ENROL_SECRET_KEY] = secret
    uri = provisioning_uri(secret, staff.email)
    status = 400 if request.method == "POST" else 200
    page = render_template(
        "crm/totp_enrol.html", form=form, qr=qr_data_uri(uri), secret=grouped(secret), enrolled=staff.totp_secret
    )
    return page, status


@bp.get("/staff")
@requires("staff.manage")
def staff_list() -> str:
    members = list(db.session.scalars(select(StaffUser).order_by(StaffUser.is_active.desc(), StaffUser.email)))
    return render_template(
        "crm/staff.html",
        members=members,
        counts=session_counts(db.session(), LoginKind.STAFF),
        confirm_form=ConfirmForm.for_page(),
        role_names=ROLE_NAMES,
        required_roles=current_app.config["CRM_TOTP_REQUIRED_ROLES"],
    )


def _member(staff_id: int) -> StaffUser:
    member = db.session.get(StaffUser, staff_id)
    if member is None:
        abort(404)
    return member


@bp.post("/staff/<int:staff_id>/sessions/end")
@requires("staff.manage")
def end_member_sessions(staff_id: int) -> Response | tuple[str, int]:
    """«Выйти на всех устройствах» for any staff member (oneself included: then this browser too)."""
    staff = require_staff()
    member = _member(staff_id)
    if not ConfirmForm().validate_on_submit():
        return _refused(_("The form has expired. Reload the page and try again."))
    ended = end_sessions(db.session(), LoginKind.STAFF, member.id)
    record(db.session(), staff, AuditAction.STAFF_SESSIONS_END, "staff", member.id, request.remote_addr, str(ended))
    db.session.commit()
    if member.id == staff.id:
        sign_out()
        flash(_("You are signed out on every device."), "info")
        return redirect(url_for("crm.staff.login"))
    flash(_("%(name)s is signed out on every device.", name=member.display_name), "success")
    return redirect(url_for("crm.security.staff_list"))


@bp.post("/staff/<int:staff_id>/totp/reset")
@requires("staff.manage")
def reset_member_totp(staff_id: int) -> Response | tuple[str, int]:
    """A lost phone: the second factor and recovery codes go; the member sets them up again at the next sign-in."""
    staff = require_staff()
    member = _member(staff_id)
    if not ConfirmForm().validate_on_submit():
        return _refused(_("The form has expired. Reload the page and try again."))
    reset_totp(db.session(), member)
    record(db.session(), staff, AuditAction.TOTP_RESET, "staff", member.id, request.remote_addr)
    db.session.commit()
    flash(_("Two-step sign-in of %(name)s is reset.", name=member.display_name), "success")
    return redirect(url_for("crm.security.staff_list"))

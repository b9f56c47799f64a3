"""Account pages. Thin: parse with WTForms, call ``account.services``, render or redirect."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from storefront.account import bp
from storefront.account.forms import (
    AddressForm,
    EmptyForm,
    LoginForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    ProfileForm,
    RegistrationForm,
)
from storefront.account.identifiers import format_phone
from storefront.account.models import ConsentKind
from storefront.account.services import (
    BadCredentials,
    ConsentRecord,
    EmailTaken,
    ResetTokenInvalid,
    add_address,
    announce_registration,
    authenticate,
    buyer_for_reset_token,
    delete_address,
    find_buyer_by_email,
    grant_marketing_consent,
    make_reset_token,
    register_buyer,
    reset_password,
    update_profile,
    withdraw_marketing_consent,
)
from storefront.account.standing import buyer_standing
from storefront.account.utm import session_first_touch
from storefront.emails import send_templated
from storefront.extensions import db, limiter
from storefront.security import safe_next_url
from storefront.shipping.regions import region_name


def _login_account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


def _consent_record(marketing: bool) -> ConsentRecord:
    return ConsentRecord(source_page=request.path, ip_address=request.remote_addr, marketing=marketing)


@bp.route("/register", methods=["GET", "POST"])
def register() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("account.profile"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            buyer = register_buyer(
                db.session(),
                **form.buyer_fields(),
                consent=_consent_record(bool(form.consent_marketing.data)),
                first_touch=session_first_touch(),
            )
        except EmailTaken:
            db.session.rollback()
            form.email.errors = [_("An account with this email already exists. Sign in or reset the password.")]
        else:
            login_user(buyer)  # merges the guest cart (``user_logged_in``)
            db.session.commit()
            announce_registration(buyer)
            flash(_("Welcome to Mostik! Your account is ready."), "success")
            return redirect(safe_next_url(request.args.get("next"), url_for("account.profile")))
    status = 400 if form.is_submitted() else 200
    return render_template("account/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_login_account_key)
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("account.profile"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            buyer = authenticate(db.session(), form.email.data, form.password.data)
        except BadCredentials:
            form.password.errors = [_("Wrong email or password.")]
        else:
            login_user(buyer, remember=bool(form.remember.data))  # merges the guest cart (``user_logged_in``)
            db.session.commit()
            flash(_("You are signed in."), "success")
            return redirect(safe_next_url(request.args.get("next"), url_for("account.profile")))
    status = 400 if form.is_submitted() else 200
    return render_template("account/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You are signed out."), "info")
    return redirect(url_for("catalog.home"))


@bp.get("/")
@login_required
def profile() -> tuple[str, int]:
    form = ProfileForm(
        data={
            "name": current_user.name,
            "phone": format_phone(current_user.phone),
            "kind": current_user.kind,
            "company_name": current_user.company_name,
            "inn": current_user.inn,
            "kpp": current_user.kpp,
            "ogrn": current_user.ogrn,
            "legal_address": current_user.legal_address,
        }
    )
    return _render_profile(form, AddressForm())


def _render_profile(form: ProfileForm, address_form: AddressForm, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "account/profile.html",
            form=form,
            address_form=address_form,
            action_form=EmptyForm(),
            marketing=current_user.has_consent(ConsentKind.MARKETING),
            consents=current_user.consents,
            region_name=region_name,
            format_phone=format_phone,
            standing=buyer_standing(db.session(), current_user),
        ),
        status,
    )


@bp.post("/profile")
@login_required
def update_profile_view() -> Response | tuple[str, int]:
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render_profile(form, AddressForm(), 400)
    update_profile(
        db.session(), current_user, name=form.name.data, phone=form.phone.data, company=form.company_details()
    )
    db.session.commit()
    flash(_("Profile saved."), "success")
    return redirect(url_for("account.profile"))


@bp.post("/consents/marketing/withdraw")
@login_required
def withdraw_marketing() -> Response:
    if EmptyForm().validate_on_submit():
        withdraw_marketing_consent(db.session(), current_user)
        db.session.commit()
        flash(_("You will no longer receive offers from us. Order emails still arrive."), "success")
    return redirect(url_for("account.profile"))


@bp.post("/consents/marketing/grant")
@login_required
def grant_marketing() -> Response:
    if EmptyForm().validate_on_submit():
        grant_marketing_consent(db.session(), current_user, _consent_record(True))
        db.session.commit()
        flash(_("Thank you! We will send you offers and news."), "success")
    return redirect(url_for("account.profile"))


@bp.post("/addresses")
@login_required
def add_address_view() -> Response | tuple[str, int]:
    address_form = AddressForm()
    if not address_form.validate_on_submit():
        return _render_profile(ProfileForm(formdata=None, obj=current_user), address_form, 400)
    add_address(db.session(), current_user, address_form.address_data())
    db.session.commit()
    flash(_("Address saved."), "success")
    return redirect(url_for("account.profile") + "#addresses")


@bp.post("/addresses/<int:address_id>/delete")
@login_required
def delete_address_view(address_id: int) -> Response:
    if EmptyForm().validate_on_submit():
        delete_address(db.session(), current_user, address_id)
        db.session.commit()
        flash(_("Address deleted."), "success")
    return redirect(url_for("account.profile") + "#addresses")


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def password_reset_request() -> str | Response | tuple[str, int]:
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        buyer = find_buyer_by_email(db.session(), form.email.data)
        if buyer is not None and buyer.is_active:
            token = make_reset_token(buyer, current_app.config["SECRET_KEY"])
            link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("account.password_reset", token=token)
            send_templated("password_reset", buyer.email, _("Password reset on Mostik"), buyer=buyer, link=link)
        # The same answer whether or not the address has an account.
        flash(
            _("If an account uses this email, we have sent a link to set a new password. It works for an hour."), "info"
        )
        return redirect(url_for("account.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("account/password_reset_request.html", form=form), status


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def password_reset(token: str) -> str | Response | tuple[str, int]:
    secret = current_app.config["SECRET_KEY"]
    try:
        buyer_for_reset_token(db.session(), token, secret)
    except ResetTokenInvalid:
        flash(_("This link has expired or was already used. Ask for a new one."), "error")
        return render_template("account/password_reset_request.html", form=PasswordResetRequestForm()), 400
    form = PasswordResetForm()
    if form.validate_on_submit():
        buyer = reset_password(db.session(), token, secret, form.password.data)
        login_user(buyer)  # merges the guest cart (``user_logged_in``)
        db.session.commit()
        flash(_("The new password is set. You are signed in."), "success")
        return redirect(url_for("account.profile"))
    status = 400 if form.is_submitted() else 200
    return render_template("account/password_reset.html", form=form), status

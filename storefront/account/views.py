"""Account pages. Thin: parse with WTForms, call ``account.services``, render or redirect."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
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
from storefront.account.opt_in import (
    ConfirmLinkInvalid,
    confirm_marketing_consent,
    consent_for_token,
    pending_marketing_consent,
)
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
from storefront.account.tier_benefits import TierTerms
from storefront.account.utm import session_first_touch
from storefront.account.web import send_opt_in_mail, session_token, sign_in_buyer, sign_out_buyer
from storefront.db import utcnow
from storefront.emails import queue_templated
from storefront.extensions import db, limiter
from storefront.logins.models import LoginKind
from storefront.logins.services import end_one, end_sessions, sessions_of, token_id
from storefront.security import safe_next_url
from storefront.shipping.regions import region_name
from storefront.shipping.services import free_shipping_from


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
            sign_in_buyer(buyer)  # merges the guest cart (``user_logged_in``)
            db.session.commit()
            announce_registration(buyer)
            flash(_("Welcome to Mostik! Your account is ready."), "success")
            if form.consent_marketing.data:
                _ask_to_confirm(buyer.email)
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
            sign_in_buyer(buyer, remember=bool(form.remember.data))  # merges the guest cart (``user_logged_in``)
            db.session.commit()
            flash(_("You are signed in."), "success")
            return redirect(safe_next_url(request.args.get("next"), url_for("account.profile")))
    status = 400 if form.is_submitted() else 200
    return render_template("account/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    form = EmptyForm()
    if form.validate_on_submit():
        sign_out_buyer()
        flash(_("You are signed out."), "info")
    return redirect(url_for("catalog.home"))


@bp.get("/")
@login_required
def profile() -> tuple[str, int]:
    form = ProfileForm(
        data={
            "name": current_user.name,
            "phone": format_phone(current_user.phone),
            "telegram": f"@{current_user.telegram}" if current_user.telegram else "",
            "whatsapp": format_phone(current_user.whatsapp),
            "kind": current_user.kind,
            "company_name": current_user.company_name,
            "inn": current_user.inn,
            "kpp": current_user.kpp,
            "ogrn": current_user.ogrn,
            "legal_address": current_user.legal_address,
        }
    )
    return _render_profile(form, AddressForm())


def tier_terms() -> TierTerms:
    """The shop's settings the tier benefits read: the protection's answer times (set up by
    ``storefront.protection.init_app`` under ``protection_policy``) and the shop-wide free shipping threshold."""
    return TierTerms(current_app.extensions["protection_policy"], free_shipping_from(db.session()))


def _render_profile(form: ProfileForm, address_form: AddressForm, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "account/profile.html",
            form=form,
            address_form=address_form,
            action_form=EmptyForm(),
            marketing=current_user.has_consent(ConsentKind.MARKETING),
            marketing_pending=pending_marketing_consent(db.session(), current_user.email) is not None,
            consents=current_user.consents,
            region_name=region_name,
            standing=buyer_standing(db.session(), current_user, tier_terms()),
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
        db.session(),
        current_user,
        name=form.name.data,
        phone=form.phone.data,
        company=form.company_details(),
        telegram=form.telegram.data or None,
        whatsapp=form.whatsapp.data or None,
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
        _ask_to_confirm(current_user.email)
    return redirect(url_for("account.profile"))


def _ask_to_confirm(email: str) -> None:
    """After the commit: e-mail the pending marketing consent's confirmation link and say so (or why not)."""
    consent = pending_marketing_consent(db.session(), email)
    if consent is None:
        return
    if send_opt_in_mail(consent):
        flash(
            _("We have sent a link to %(email)s: open it to confirm that you want offers and news.", email=email),
            "info",
        )
    else:
        flash(_("We could not send the confirmation link now. Ask for it again later in your profile."), "warning")


@bp.post("/consents/marketing/resend")
@login_required
def resend_marketing_confirmation() -> Response:
    if EmptyForm().validate_on_submit():
        _ask_to_confirm(current_user.email)
    return redirect(url_for("account.profile"))


def _confirm_link_refused(error: ConfirmLinkInvalid) -> tuple[str, int]:
    message = (
        _("This confirmation link has expired. Subscribe again in your profile or at checkout to get a new one.")
        if error.expired
        else _("This confirmation link is damaged or not ours. Open the link from the e-mail exactly as it is.")
    )
    return render_template("errors/error.html", status=400, title=_("The link does not work"), message=message), 400


@bp.route("/consents/marketing/confirm/<token>", methods=["GET", "POST"])
def confirm_marketing(token: str) -> Response | tuple[str, int]:
    """The link from the e-mail shows a button; pressing it confirms (a mail scanner following links confirms
    nothing)."""
    try:
        consent = consent_for_token(
            db.session(), token, current_app.config["SECRET_KEY"], current_app.config["MARKETING_CONFIRM_HOURS"] * 3600
        )
    except ConfirmLinkInvalid as error:
        return _confirm_link_refused(error)
    form = EmptyForm()
    if not form.validate_on_submit():
        page = render_template("account/confirm_marketing.html", form=form, consent=consent, token=token)
        return page, 400 if form.is_submitted() else 200
    if confirm_marketing_consent(db.session(), consent, utcnow(), request.remote_addr):
        db.session.commit()
        flash(_("Thank you! Your address is confirmed: we will send you offers and news."), "success")
    elif consent.withdrawn_at is not None:
        flash(_("This subscription was canceled after the link was sent: nothing was changed."), "info")
    else:
        flash(_("Your address is already confirmed."), "info")
    return redirect(url_for("catalog.home"))


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
            subject = _("Password reset on Mostik")
            queue_templated(db.session(), "password_reset", buyer.email, subject, buyer=buyer, link=link)
            db.session.commit()
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
        buyer = reset_password(db.session(), token, secret, form.password.data)  # ends every session of the buyer
        sign_in_buyer(buyer)  # merges the guest cart (``user_logged_in``)
        db.session.commit()
        flash(_("The new password is set. You are signed in."), "success")
        return redirect(url_for("account.profile"))
    status = 400 if form.is_submitted() else 200
    return render_template("account/password_reset.html", form=form), status


@bp.get("/sessions")
@login_required
def sessions() -> str:
    """Where this account is signed in; the others can be ended."""
    rows = sessions_of(db.session(), LoginKind.BUYER, current_user.id)
    current_id = token_id(session_token() or "")
    return render_template("account/sessions.html", rows=rows, current_id=current_id, action_form=EmptyForm())


@bp.post("/sessions/<session_id>/end")
@login_required
def end_session_view(session_id: str) -> Response:
    if EmptyForm().validate_on_submit() and session_id != token_id(session_token() or ""):
        if end_one(db.session(), LoginKind.BUYER, current_user.id, session_id[:64]):
            db.session.commit()
            flash(_("That session is ended: the browser there is signed out."), "success")
    return redirect(url_for("account.sessions"))


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions() -> Response:
    if EmptyForm().validate_on_submit():
        end_sessions(db.session(), LoginKind.BUYER, current_user.id, keep_token=session_token())
        db.session.commit()
        flash(_("Every other session is ended. You stay signed in here."), "success")
    return redirect(url_for("account.sessions"))

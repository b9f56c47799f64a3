"""Staff pages under /crm/campaigns: list, edit, preview, test send, schedule, pause/cancel, report, triggers."""

from __future__ import annotations

import dataclasses
import json
import smtplib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from crm.audit.actions import CAMPAIGN_STATUS_ACTIONS, AuditAction
from crm.audit.services import record
from crm.auth import require_staff
from crm.campaigns import bp
from crm.campaigns.block_form import apply_action, blocks_from_form
from crm.campaigns.blocks import (
    MAX_BLOCKS,
    BlocksRefused,
    blocks_from_json,
    load_cards,
    product_ids,
    search_products,
)
from crm.campaigns.compose import Person, compose, live_content
from crm.campaigns.forms import BlocksForm, CampaignForm, ScheduleForm, StatusForm, TestSendForm, TriggerForm
from crm.campaigns.models import AbMetric, Campaign, CampaignStatus, CampaignTemplate, Channel, PromoMode
from crm.campaigns.queries import campaign_report, list_campaigns
from crm.campaigns.rendering import TemplateRefused
from crm.campaigns.sender_settings import SenderSettings
from crm.campaigns.sending import ScheduleConcerns, schedule_concerns, send_test
from crm.campaigns.services import (
    AB_PERCENT_MAX,
    AB_PERCENT_MIN,
    AB_WAIT_MAX,
    AB_WAIT_MIN,
    CampaignData,
    CampaignError,
    InvalidTemplate,
    change_campaign_status,
    promo_area_code,
    save_blocks,
    save_campaign,
    save_template,
    schedule_campaign,
)
from crm.campaigns.triggers import TRIGGERS, ensure_trigger_campaigns, update_trigger
from crm.permissions import requires
from crm.promo.services import usable_promo_codes
from crm.segments.models import Segment
from crm.staff.models import StaffUser
from storefront.account.models import Buyer
from storefront.db import utcnow
from storefront.extensions import db
from storefront.i18n import format_percent, format_rub
from storefront.moscow import MOSCOW, moscow_to_utc
from storefront.promo.models import PromoCode, PromoKind
from storefront.telegram.client import EXTENSION as TELEGRAM_BOT

#: What each block type is called on the editor's buttons and headings.
BLOCK_TYPE_LABELS = {
    "heading": _l("Heading"),
    "text": _l("Text"),
    "button": _l("Button"),
    "products": _l("Products"),
    "image": _l("Picture"),
    "promo": _l("Promo code"),
    "divider": _l("Divider"),
}


#: What the winner of an A/B test is chosen by, as the report says it («по открытиям»).
AB_METRIC_LABELS = {
    "opens": _l("by opens"),
    "clicks": _l("by clicks"),
    "revenue": _l("by revenue per message"),
}


def _error_message(error: CampaignError) -> str:
    return {
        "not_editable": _("A campaign that has started can no longer be edited."),
        "segment": _("Choose an existing segment."),
        "no_segment": _("Choose a segment before scheduling the campaign."),
        "past": _("The sending time is in the past. Choose a later time (Moscow)."),
        "state": _("This cannot be done with the campaign in its current state."),
        "trigger": _("Automatic campaigns are switched on and off, not scheduled."),
        "promo_unusable": _(
            "The promo code %(code)s is switched off, has ended or has no uses left: choose another.",
            code=error.details.get("code", ""),
        ),
        "promo_block": _("The message has a promo code block: choose a promo code for the campaign first."),
        "ab_telegram": _ab_telegram_message(),
        "ab_subject": _("Enter subject B for the A/B test."),
        "ab_percent": _(
            "The A/B test share must be from %(min)d to %(max)d percent.", min=AB_PERCENT_MIN, max=AB_PERCENT_MAX
        ),
        "ab_wait": _("Choose the winner after %(min)d to %(max)d hours.", min=AB_WAIT_MIN, max=AB_WAIT_MAX),
    }.get(error.reason, _("The campaign could not be saved."))


def _ab_telegram_message() -> str:
    return _("An A/B test of subjects is for e-mail campaigns only: a Telegram message has no subject.")


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.trigger is not None:
        abort(404)
    return campaign


def _settings() -> SenderSettings:
    return SenderSettings.from_config(current_app.config)


@bp.get("/")
@requires("campaigns.view")
def campaign_list() -> str:
    return render_template("crm/campaigns/list.html", campaigns=list_campaigns(db.session()))


@bp.route("/new", methods=["GET", "POST"], defaults={"campaign_id": None})
@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires("campaigns.edit")
def campaign_edit(campaign_id: int | None) -> Response | tuple[str, int]:
    campaign = _campaign_or_404(campaign_id) if campaign_id is not None else None
    if campaign is not None and request.method == "GET":
        form = CampaignForm(
            obj=campaign,
            data={
                "promo_percent": campaign.promo_percent_bp // 100,
                "shared_code": campaign.promo_code,
                "segment_id": campaign.segment_id or 0,
                "body_mode": "blocks" if campaign.body_blocks is not None else "html",
                "ab_test": campaign.ab_percent > 0,
            },
        )
        form.ab_percent.data = campaign.ab_percent or 20
        if promo_area_code(db.session(), campaign) is not None:  # a code made under «Промокоды»
            form.promo_mode.data, form.existing_promo.data, form.shared_code.data = "existing", campaign.promo_code, ""
    else:
        form = CampaignForm()
    segments = db.session.execute(select(Segment.id, Segment.name).order_by(Segment.name)).all()
    form.segment_id.choices = [SelectChoice(0, _("— choose —"))] + [SelectChoice(row.id, row.name) for row in segments]
    if TELEGRAM_BOT not in current_app.extensions:
        form.channel.choices = [choice for choice in form.channel.choices if choice.value == Channel.EMAIL]
    templates = db.session.execute(select(CampaignTemplate.id, CampaignTemplate.name).order_by(CampaignTemplate.name))
    form.template_id.choices = [SelectChoice(0, _("— empty message —"))] + [
        SelectChoice(row.id, row.name) for row in templates
    ]
    form.existing_promo.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(promo.code, f"{promo.code} — {_promo_discount(promo)}")
        for promo in usable_promo_codes(db.session(), utcnow())
    ]
    valid = form.validate_on_submit()
    # Every check runs, so the marketer sees every mistake at once.
    submitted = form.is_submitted()
    checks = [_html_mode_filled(form), _existing_promo_chosen(form), _ab_test_filled(form)] if submitted else []
    if valid and all(checks):
        use_blocks = form.body_mode.data == "blocks"
        start = db.session.get(CampaignTemplate, form.template_id.data) if form.template_id.data else None
        data = CampaignData(
            name=form.name.data.strip(),
            segment_id=form.segment_id.data or None,
            subject=form.subject.data,
            body_html=form.body_html.data or "",
            body_text=form.body_text.data or "",
            use_blocks=use_blocks,
            start_blocks=start.blocks if start is not None else None,
            promo_mode=PromoMode.SHARED if form.promo_mode.data == "existing" else PromoMode(form.promo_mode.data),
            existing_promo=form.existing_promo.data if form.promo_mode.data == "existing" else None,
            promo_percent_bp=(form.promo_percent.data or 0) * 100,
            promo_valid_days=form.promo_valid_days.data or 14,
            shared_code=form.shared_code.data,
            advertiser=form.advertiser.data,
            erid=form.erid.data,
            control_percent=form.control_percent.data or 0,
            channel=Channel(form.channel.data),
            subject_b=form.subject_b.data if form.ab_test.data else None,
            ab_percent=(form.ab_percent.data or 0) if form.ab_test.data else 0,
            ab_metric=AbMetric(form.ab_metric.data),
            ab_wait_hours=(form.ab_wait_hours.data or 4) if form.ab_test.data else 4,
        )
        staff = require_staff()
        try:
            saved = save_campaign(db.session(), campaign, data, staff.id if staff else None)
        except InvalidTemplate as invalid:
            db.session.rollback()
            for name, message in invalid.errors.items():
                getattr(form, name).errors = [message]
        except CampaignError as error:
            db.session.rollback()
            flash(_error_message(error), "error")
        else:
            record(
                db.session(), staff, AuditAction.CAMPAIGN_EDIT, "campaign", saved.id, request.remote_addr, saved.name
            )
            db.session.commit()
            flash(_("Campaign saved."), "success")
            if saved.body_blocks is not None:
                return redirect(url_for("crm.campaigns.campaign_blocks", campaign_id=saved.id))
            return redirect(url_for("crm.campaigns.campaign_detail", campaign_id=saved.id))
    status = 400 if form.is_submitted() else 200
    return render_template("crm/campaigns/form.html", form=form, campaign=campaign), status


def _promo_discount(promo: PromoCode) -> str:
    if promo.kind == PromoKind.FIXED:
        return format_rub(promo.fixed_amount)
    return format_percent(Decimal(promo.percent_bp) / 100)


def _ab_test_filled(form: CampaignForm) -> bool:
    """With the A/B test on: e-mail only, subject B given, share and wait within bounds (Russian messages)."""
    if not form.ab_test.data:
        return True
    ok = True
    if form.channel.data != Channel.EMAIL:
        form.ab_test.errors = [_ab_telegram_message()]
        ok = False
    if not (form.subject_b.data or "").strip():
        form.subject_b.errors = [_("Enter subject B for the A/B test.")]
        ok = False
    percent = form.ab_percent.data
    if not form.ab_percent.errors and (percent is None or not AB_PERCENT_MIN <= percent <= AB_PERCENT_MAX):
        form.ab_percent.errors = [
            _("The A/B test share must be from %(min)d to %(max)d percent.", min=AB_PERCENT_MIN, max=AB_PERCENT_MAX)
        ]
        ok = False
    hours = form.ab_wait_hours.data
    if not form.ab_wait_hours.errors and (hours is None or not AB_WAIT_MIN <= hours <= AB_WAIT_MAX):
        form.ab_wait_hours.errors = [
            _("Choose the winner after %(min)d to %(max)d hours.", min=AB_WAIT_MIN, max=AB_WAIT_MAX)
        ]
        ok = False
    return ok and not form.ab_percent.errors and not form.ab_wait_hours.errors


def _existing_promo_chosen(form: CampaignForm) -> bool:
    if form.promo_mode.data == "existing" and not form.existing_promo.data:
        form.existing_promo.errors = [_("Choose a promo code.")]
        return False
    return True


def _html_mode_filled(form: CampaignForm) -> bool:
    """In HTML mode both bodies are required (in block mode they are the blocks' business). A post without the
    mode (an older form, a script) is in HTML mode when it carries an HTML body."""
    if form.body_mode.data not in ("blocks", "html"):
        form.body_mode.data = "html" if (form.body_html.data or "").strip() else "blocks"
    if form.body_mode.data != "html":
        return True
    for field in (form.body_html, form.body_text):
        if not (field.data or "").strip():
            field.errors = [_("Fill in this field in HTML mode.")]
    return bool((form.body_html.data or "").strip() and (form.body_text.data or "").strip())


@bp.route("/<int:campaign_id>/blocks", methods=["GET", "POST"])
@requires("campaigns.edit")
def campaign_blocks(campaign_id: int) -> Response | tuple[str, int]:
    """The block editor: one server-rendered form; each button posts every block and says what to do."""
    campaign = _campaign_or_404(campaign_id)
    query = request.args.get("q", "")[:100]
    found = search_products(db.session(), query) if query.strip() else []
    form = BlocksForm()
    # An HTML-mode campaign opens with no blocks: saving any switches it to blocks (its HTML stays for going back).
    blocks: list[dict[str, Any]] = list(campaign.body_blocks or [])
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("crm/message.html", message=_("The form has expired. Reload the page.")), 400
        action = request.form.get("action", "save")
        staff = require_staff()
        try:
            if action == "json":
                posted = blocks_from_json(request.form.get("json", ""))
            else:
                posted = blocks_from_form(request.form)
            blocks, focus = apply_action(posted, action)
            blocks = save_blocks(db.session(), campaign, blocks)
            if action == "template":
                template = save_template(
                    db.session(), request.form.get("template_name", ""), blocks, staff.id if staff else None
                )
                record(db.session(), staff, AuditAction.CAMPAIGN_TEMPLATE, "template", template.id,
                       request.remote_addr, template.name)  # fmt: skip
        except BlocksRefused as refused:
            db.session.rollback()
            error = str(refused)
        except CampaignError as refused_action:
            db.session.rollback()
            error = _error_message(refused_action)
        else:
            record(db.session(), staff, AuditAction.CAMPAIGN_EDIT, "campaign", campaign.id, request.remote_addr,
                   campaign.name)  # fmt: skip
            db.session.commit()
            flash(_("Template saved.") if action == "template" else _("Message saved."), "success")
            target = url_for("crm.campaigns.campaign_blocks", campaign_id=campaign.id, q=query or None)
            return redirect(target + (f"#block-{focus}" if focus is not None else ""), 303)
        blocks = _posted_for_redisplay(request.form)
    page = render_template(
        "crm/campaigns/blocks.html",
        campaign=campaign,
        form=form,
        blocks=blocks,
        block_types=BLOCK_TYPE_LABELS,
        query=query,
        found=found,
        error=error,
        blocks_json=json.dumps(blocks, ensure_ascii=False, indent=1),
        product_blocks=[index for index, block in enumerate(blocks) if block.get("type") == "products"],
        cards=load_cards(db.session(), product_ids(blocks), _settings().base_url),
        max_blocks=MAX_BLOCKS,
    )
    return page, 400 if error else 200


def _posted_for_redisplay(posted: Any) -> list[dict[str, Any]]:
    """What the marketer typed, shown again with the error (unreadable parts left out)."""
    try:
        return [block for block in blocks_from_form(posted) if block.get("type") in BLOCK_TYPE_LABELS]
    except BlocksRefused:
        return []


@bp.get("/<int:campaign_id>")
@requires("campaigns.view")
def campaign_detail(campaign_id: int) -> str:
    campaign = _campaign_or_404(campaign_id)
    # A scheduled campaign opens with its time filled in: re-submitting the form moves the time, never sends at once.
    if campaign.scheduled_at is not None:
        local = campaign.scheduled_at.astimezone(MOSCOW).replace(tzinfo=None)
        schedule_form = ScheduleForm(data={"when": "later", "send_at": local})
    else:
        schedule_form = ScheduleForm(data={"when": "now"})
    return _detail_page(campaign, schedule_form)


def _detail_page(campaign: Campaign, schedule_form: ScheduleForm, warnings: list[str] | None = None) -> str:
    staff = require_staff()
    return render_template(
        "crm/campaigns/detail.html",
        campaign=campaign,
        report=campaign_report(db.session(), campaign),
        ab_metric_labels=AB_METRIC_LABELS,
        ab_decides_at=campaign.started_at + timedelta(hours=campaign.ab_wait_hours) if campaign.started_at else None,
        schedule_form=schedule_form,
        schedule_warnings=warnings or [],
        status_form=StatusForm(),
        test_form=TestSendForm(data={"email": staff.email if staff else ""}),
    )


def _concern_texts(concerns: ScheduleConcerns, send_at: datetime, settings: SenderSettings) -> list[str]:
    local = send_at.astimezone(MOSCOW)
    texts = []
    if concerns.quiet:
        start, end = (str(hour).zfill(2) for hour in (settings.quiet_start_hour, settings.quiet_end_hour))
        texts.append(
            _(
                "%(time)s Moscow time is within the quiet hours (%(start)s:00 to %(end)s:00): the message would "
                "arrive at night.",
                time=local.strftime("%d.%m.%Y %H:%M"),
                start=start,
                end=end,
            )
        )
    if concerns.holiday:
        texts.append(
            _(
                "%(date)s is a public holiday in the production calendar (%(name)s).",
                date=local.strftime("%d.%m.%Y"),
                name=concerns.holiday,
            )
        )
    return texts


@bp.get("/<int:campaign_id>/preview")
@requires("campaigns.view")
def campaign_preview(campaign_id: int) -> str | tuple[str, int]:
    campaign = _campaign_or_404(campaign_id)
    buyer_id = request.args.get("buyer_id", "").strip()
    buyer = None
    error = None
    if buyer_id:
        # Bounded before the lookup: a huge number is not an id (and would overflow the database's integer).
        buyer = db.session.get(Buyer, int(buyer_id)) if buyer_id.isdigit() and len(buyer_id) <= 12 else None
        if buyer is None:
            error = _("There is no buyer with this id; the sample buyer is shown.")
    settings = _settings()
    try:
        content = live_content(db.session(), campaign, settings.base_url)
        message = compose(content, settings, 0, Person.of(buyer) if buyer else None, None)
        subject_b = None
        if campaign.ab_test:  # the A/B test's other subject, for the same buyer
            content_b = dataclasses.replace(content, subject=campaign.subject_b or "")
            subject_b = compose(content_b, settings, 0, Person.of(buyer) if buyer else None, None).subject
    except TemplateRefused as refused:
        return render_template("crm/message.html", message=str(refused)), 400
    if buyer is not None:  # a real buyer's data on a marketer's screen: who looked is on record
        staff = require_staff()
        record(db.session(), staff, AuditAction.CAMPAIGN_PREVIEW, "buyer", buyer.id, request.remote_addr, campaign.name)
        db.session.commit()
    return render_template(
        "crm/campaigns/preview.html", campaign=campaign, message=message, subject_b=subject_b, buyer=buyer, error=error
    )


@bp.post("/<int:campaign_id>/test")
@requires("campaigns.send")
def campaign_test_send(campaign_id: int) -> Response | tuple[str, int]:
    campaign = _campaign_or_404(campaign_id)
    form = TestSendForm()
    if not form.validate_on_submit():
        return render_template("crm/message.html", message=_("Enter a staff email address.")), 400
    email = form.email.data.strip().lower()
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email, StaffUser.is_active.is_(True)))
    if staff is None:
        return render_template("crm/message.html", message=_("Test emails go only to staff addresses.")), 400
    buyer = db.session.get(Buyer, form.buyer_id.data) if form.buyer_id.data else None
    try:
        send_test(db.session(), campaign, _settings(), staff.email, buyer)
    except TemplateRefused as refused:
        return render_template("crm/message.html", message=str(refused)), 400
    except (OSError, smtplib.SMTPException):
        flash(_("The mail server did not accept the test email. Try again later."), "error")
    else:
        flash(_("Test email sent to %(email)s.", email=staff.email), "success")
    return redirect(url_for("crm.campaigns.campaign_detail", campaign_id=campaign.id), 303)


@bp.post("/<int:campaign_id>/schedule")
@requires("campaigns.send")
def campaign_schedule(campaign_id: int) -> Response | tuple[str, int]:
    campaign = _campaign_or_404(campaign_id)
    form = ScheduleForm()
    if not form.validate_on_submit() or form.when.data not in ("now", "later"):
        return render_template("crm/message.html", message=_("Choose when to send the campaign.")), 400
    now = utcnow()
    if form.when.data == "later":
        if form.send_at.data is None:
            return render_template("crm/message.html", message=_("Enter the date and time (Moscow).")), 400
        send_at = moscow_to_utc(form.send_at.data)
    else:
        send_at = now
    # A time chosen ahead is checked (a «send now» is sent while someone watches it go).
    concerns = schedule_concerns(send_at, _settings()) if form.when.data == "later" else None
    try:
        schedule_campaign(db.session(), campaign, send_at, now, unconfirmed=None if form.confirm.data else concerns)
    except CampaignError as error:
        db.session.rollback()
        if error.reason == "confirm" and concerns:  # warned first; nothing is scheduled until confirmed
            return _detail_page(campaign, form, _concern_texts(concerns, send_at, _settings())), 400
        return render_template("crm/message.html", message=_error_message(error)), 400
    record(
        db.session(),
        require_staff(),
        AuditAction.CAMPAIGN_SCHEDULE,
        "campaign",
        campaign.id,
        request.remote_addr,
        send_at.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M MSK"),
    )
    db.session.commit()
    flash(_("Campaign scheduled."), "success")
    return redirect(url_for("crm.campaigns.campaign_detail", campaign_id=campaign.id), 303)


@bp.post("/<int:campaign_id>/status")
@requires("campaigns.send")
def campaign_status(campaign_id: int) -> Response | tuple[str, int]:
    campaign = _campaign_or_404(campaign_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return render_template("crm/message.html", message=_("Choose an action.")), 400
    try:
        change_campaign_status(db.session(), campaign, CampaignStatus(form.action.data))
    except CampaignError as error:
        db.session.rollback()
        return render_template("crm/message.html", message=_error_message(error)), 400
    record(
        db.session(),
        require_staff(),
        CAMPAIGN_STATUS_ACTIONS[form.action.data],
        "campaign",
        campaign.id,
        request.remote_addr,
    )
    db.session.commit()
    flash(_("Campaign status changed."), "success")
    return redirect(url_for("crm.campaigns.campaign_detail", campaign_id=campaign.id), 303)


@bp.get("/triggers")
@requires("campaigns.view")
def trigger_list() -> str:
    campaigns = ensure_trigger_campaigns(db.session(), current_app.config["PUBLIC_BASE_URL"])
    db.session.commit()
    forms = {
        kind: TriggerForm(
            prefix=kind,
            data={
                "enabled": "on" if c.trigger_enabled else "off",
                "hours": c.trigger_params.get("hours"),
                "days": c.trigger_params.get("days"),
                "subject": c.subject,
                "body_html": c.body_html,
                "body_text": c.body_text,
            },
        )
        for kind, c in campaigns.items()
    }
    return render_template("crm/campaigns/triggers.html", campaigns=campaigns, forms=forms, triggers=TRIGGERS)


@bp.post("/triggers/<kind>")
@requires("campaigns.edit")
def trigger_update(kind: str) -> Response | tuple[str, int]:
    if kind not in TRIGGERS:
        abort(404)
    form = TriggerForm(prefix=kind)
    if not form.validate_on_submit():
        return render_template("crm/message.html", message=_("Fill in the subject and both bodies.")), 400
    try:
        update_trigger(
            db.session(),
            kind,
            enabled=form.enabled.data == "on",
            hours=form.hours.data,
            subject=form.subject.data,
            body_html=form.body_html.data,
            body_text=form.body_text.data,
            now=utcnow(),
            base_url=current_app.config["PUBLIC_BASE_URL"],
            days=form.days.data,
        )
    except InvalidTemplate as invalid:
        db.session.rollback()
        return render_template("crm/message.html", message=" ".join(invalid.errors.values())), 400
    record(
        db.session(),
        require_staff(),
        AuditAction.CAMPAIGN_TRIGGER,
        "trigger",
        kind,
        request.remote_addr,
        form.enabled.data,
    )
    db.session.commit()
    flash(_("Automatic campaign saved."), "success")
    return redirect(url_for("crm.campaigns.trigger_list"), 303)


def moscow(moment: datetime | None) -> str:
    return moment.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M") if moment else "—"

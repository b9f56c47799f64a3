from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from storefront.form_fields import MoscowDateTimeField

PROMO_MODES = [
    SelectChoice("none", _l("No promo code")),
    SelectChoice("shared", _l("One shared code")),
    SelectChoice("unique", _l("A unique code for each recipient")),
    SelectChoice("existing", _l("An existing code from «Promo codes»")),
]


BODY_MODES = [
    SelectChoice("blocks", _l("Blocks (the editor)")),
    SelectChoice("html", _l("HTML template (for experts)")),
]


AB_METRICS = [
    SelectChoice("opens", _l("opens (per delivered message)")),
    SelectChoice("clicks", _l("clicks (per delivered message)")),
    SelectChoice("revenue", _l("revenue (paid orders per delivered message)")),
]


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    segment_id = SelectField(_l("Segment"), coerce=int, validators=[InputRequired()])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=300)])
    body_mode = RadioField(_l("Message body"), choices=BODY_MODES, default="blocks", validators=[Optional()])
    #: A saved block set to start from (new campaigns in block mode); 0: an empty body.
    template_id = SelectField(_l("Start from a saved template"), coerce=int, default=0, validators=[Optional()])
    body_html = TextAreaField(_l("HTML body (HTML mode only)"), validators=[Optional(), Length(max=100_000)])
    body_text = TextAreaField(_l("Text (HTML mode only)"), validators=[Optional(), Length(max=50_000)])
    promo_mode = SelectField(_l("Promo code"), choices=PROMO_MODES, default="none")
    promo_percent = IntegerField(_l("Discount, percent"), default=0, validators=[Optional(), NumberRange(0, 90)])
    promo_valid_days = IntegerField(_l("Code valid, days"), default=14, validators=[Optional(), NumberRange(1, 365)])
    shared_code = StringField(
        _l("Shared code (empty: generate)"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^[A-Za-z0-9-]+$", message=_l("Use Latin letters, digits and -.")),
        ],
    )
    existing_promo = SelectField(_l("Existing promo code"), default="", validators=[Optional()], validate_choice=False)
    advertiser = StringField(_l("Advertiser (name, INN)"), validators=[Optional(), Length(max=300)])
    erid = StringField(
        _l("ERID token"),
        validators=[Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9]+$", message=_l("Use Latin letters and digits."))],
    )
    control_percent = IntegerField(_l("Control group, percent"), default=0, validators=[Optional(), NumberRange(0, 50)])
    channel = SelectField(
        _l("Channel"),
        choices=[SelectChoice("email", _l("By e-mail")), SelectChoice("telegram", _l("In Telegram (the text part)"))],
        default="email",
    )
    #: A/B test of subjects; the bounds are checked only with the test on (the view's ``_ab_test_filled``).
    ab_test = BooleanField(_l("Test two subjects (A/B)"))
    subject_b = StringField(_l("Subject B"), validators=[Optional(), Length(max=300)])
    ab_percent = IntegerField(
        _l("Test share of the recipients, percent (half get A, half B)"), default=20, validators=[Optional()]
    )
    ab_metric = SelectField(_l("The winner is the subject with more"), choices=AB_METRICS, default="opens")
    ab_wait_hours = IntegerField(_l("Choose the winner after, hours"), default=4, validators=[Optional()])


class BlocksForm(FlaskForm):
    """The block editor: only the CSRF token here; the blocks are read by ``block_form.blocks_from_form``."""


class ScheduleForm(FlaskForm):
    when = RadioField(
        _l("When"),
        choices=[SelectChoice("now", _l("Send now")), SelectChoice("later", _l("At a time (Moscow)"))],
        validators=[InputRequired()],
    )
    send_at = MoscowDateTimeField(_l("Send at (Moscow time)"), validators=[Optional()])
    #: Shown with a warning (quiet hours, a public holiday); without it such a time is not scheduled.
    confirm = BooleanField(_l("Schedule anyway"))


class StatusForm(FlaskForm):
    action = SelectField(
        _l("Action"),
        choices=[
            SelectChoice("paused", _l("Pause")),
            SelectChoice("sending", _l("Resume")),
            SelectChoice("canceled", _l("Cancel")),
            SelectChoice("draft", _l("Back to draft")),
        ],
        validators=[InputRequired()],
    )


class TestSendForm(FlaskForm):
    email = StringField(_l("Staff email"), validators=[DataRequired(), Length(max=254)])
    buyer_id = IntegerField(_l("As buyer (id)"), validators=[Optional()])


class TriggerForm(FlaskForm):
    enabled = SelectField(
        _l("State"),
        choices=[SelectChoice("on", _l("On")), SelectChoice("off", _l("Off"))],
        validators=[InputRequired()],
    )
    hours = IntegerField(_l("After, hours"), validators=[Optional(), NumberRange(1, 24 * 30)])
    days = IntegerField(_l("Days before the expected order"), validators=[Optional(), NumberRange(1, 90)])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=300)])
    body_html = TextAreaField(_l("HTML body"), validators=[DataRequired(), Length(max=100_000)])
    body_text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=50_000)])

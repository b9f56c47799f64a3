"""Every setting Mostik reads from the environment, declared once (names are contracts: see DESIGN.md).

``SETTINGS`` is the one list: name, how the text is read, default, meaning, secret or not. ``load_config``
reads the environment once, at app creation, and the README's configuration table is generated from the list
(``make settings-table``; a test fails when the README differs). Code reads ``app.config[NAME]`` at
its entry point (view, command, job) and passes plain values on; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


# --- how a value is read from its text -----------------------------------------------------------------------


def text(raw: str) -> str:
    return raw


def optional_text(raw: str) -> str | None:
    return raw.strip() or None


def flag(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def whole_number(raw: str) -> int:
    """A whole number ≥ 0."""
    number = int(raw.strip())
    if number < 0:
        raise ValueError("negative")
    return number


def word_list(raw: str) -> frozenset[str]:
    """Comma-separated words (role names), trimmed; empty items and a lone ``-`` (none at all) dropped."""
    return frozenset(word.strip() for word in raw.split(",") if word.strip() not in ("", "-"))


def positive_number(raw: str) -> float:
    number = float(raw.strip().replace(",", "."))
    if not number > 0:
        raise ValueError("not above zero")
    return number


def non_negative_number(raw: str) -> float:
    number = float(raw.strip().replace(",", "."))
    if not number >= 0:
        raise ValueError("negative")
    return number


def hour_of_day(raw: str) -> int:
    hour = int(raw.strip())
    if not 0 <= hour <= 23:
        raise ValueError("not an hour")
    return hour


def percentage(raw: str) -> Decimal:
    """A percentage above 0 and up to 100; «7,5» and «7.5» both read."""
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not Decimal("0") < value <= Decimal("100"):
        raise ValueError("out of range")
    return value


def inn_number(raw: str) -> str:
    """An organisation's INN: 10 digits with a valid checksum."""
    value = raw.strip()
    if len(value) != 10 or not stdnum_inn.is_valid(value):
        raise ValueError("not an organisation's INN")
    return value


def kpp_number(raw: str) -> str:
    value = raw.strip().upper()
    if not re.fullmatch(r"\d{4}[0-9A-Z]{2}\d{3}", value):
        raise ValueError("not a KPP")
    return value


def ogrn_number(raw: str) -> str:
    """An organisation's OGRN: 13 digits with a valid checksum."""
    value = raw.strip()
    if len(value) != 13 or not stdnum_ogrn.is_valid(value):
        raise ValueError("not an organisation's OGRN")
    return value


def bik_number(raw: str) -> str:
    """A Russian bank's BIK: 9 digits."""
    value = raw.strip()
    if not re.fullmatch(r"\d{9}", value):
        raise ValueError("not a BIK")
    return value


def bank_account_number(raw: str) -> str:
    """A Russian bank account (settlement or correspondent): 20 digits; checked against the BIK by ``seller``."""
    value = raw.strip().replace(" ", "")
    if not re.fullmatch(r"\d{20}", value):
        raise ValueError("not a bank account")
    return value


READ_AS: dict[Callable[[str], Any], str] = {
    text: "text",
    optional_text: "text",
    flag: "on/off (`1`, `true`, `yes`, `on`)",
    word_list: "comma-separated list",
    whole_number: "whole number",
    positive_number: "number > 0",
    non_negative_number: "number ≥ 0",
    hour_of_day: "hour 0–23",
    percentage: "percent, 0 < p ≤ 100",
    inn_number: "INN, 10 digits",
    kpp_number: "KPP, 9 characters",
    ogrn_number: "OGRN, 13 digits",
    bik_number: "BIK, 9 digits",
    bank_account_number: "bank account, 20 digits",
}


@dataclass(frozen=True)
class Setting:
    """One environment variable: how to read it, its default, and what it means."""

    name: str
    read: Callable[[str], Any]
    #: A value, or a function of the environment name (``development``/``production``/``testing``).
    default: Any
    meaning: str
    secret: bool = False
    #: How the README shows the default when the value alone would mislead.
    default_shown: str | None = None
    #: The app.config key, when it differs from the variable's name.
    config_key: str | None = None

    @property
    def key(self) -> str:
        return self.config_key or self.name

    def value(self, environ: Mapping[str, str], environment: str) -> Any:
        raw = environ.get(self.name)
        if raw is None or raw.strip() == "":
            return self.default(environment) if callable(self.default) else self.default
        try:
            return self.read(raw)
        except ValueError:
            raise ConfigError(f"{self.name} must be a {READ_AS[self.read]}, not {raw!r}") from None

    def shown_default(self) -> str:
        if self.default_shown is not None:
            return self.default_shown
        if self.default is None or self.default == "":
            return "—"
        if self.default is False:
            return "off"
        if self.default is True:
            return "on"
        return f"`{self.default}`"


_YOOKASSA_NETWORKS = (
    "185.71.76.0/27,185.71.77.0/27,77.75.153.0/25,77.75.156.11,77.75.156.35,77.75.154.128/25,2a02:5180::/32"
)

SETTINGS: tuple[Setting, ...] = (
    # --- the app itself
    Setting(
        "MOSTIK_ENV",
        text,
        "production",
        "`development`, `production` or `testing`. Production refuses to start without `SECRET_KEY`.",
        default_shown="`production` (`.flaskenv` sets `development` for the CLI)",
    ),
    Setting(
        "MOSTIK_INSTANCE_PATH",
        text,
        str(PROJECT_ROOT / "instance"),
        "folder for the SQLite file and the development secret key",
        default_shown="`instance/` in the checkout",
    ),
    Setting(
        "SECRET_KEY",
        optional_text,
        None,
        "signs sessions, cookies and links",
        secret=True,
        default_shown="generated once into `instance/secret_key` outside production",
    ),
    Setting(
        "DATABASE_URL",
        optional_text,
        None,
        "SQLAlchemy URL; PostgreSQL: `postgresql+psycopg://user@host/db`",
        default_shown="`sqlite:///instance/mostik.db`",
        config_key="SQLALCHEMY_DATABASE_URI",
    ),
    Setting(
        "PUBLIC_BASE_URL",
        text,
        "http://127.0.0.1:5000",
        "absolute links in e-mails, feeds and payment return URLs",
    ),
    Setting(
        "REDIS_URL", optional_text, None, "optional: cache, rate limits, Celery broker and result store", secret=True
    ),
    Setting(
        "JOBS_IN_PROCESS",
        flag,
        False,
        "run periodic jobs on a timer inside the web process",
        default_shown="off (`make run` turns it on)",
    ),
    Setting(
        "LOG_TO_STDOUT",
        flag,
        lambda environment: environment == "production",
        "log to stdout instead of the default handler",
        default_shown="on in production",
    ),
    Setting(
        "CATEGORY_CACHE_SECONDS",
        non_negative_number,
        lambda environment: 0 if environment == "testing" else 60,
        "how long each web process keeps the category tree, listing counts, matched search candidates, "
        "autocomplete answers and the feed's version",
        default_shown="`60` (0 in tests)",
    ),
    Setting(
        "SEARCH_DEMAND_FEW_RESULTS",
        whole_number,
        3,
        "a search (page one, no filters) finding at most this many products is counted as demand without "
        "supply (`0`: only searches that find nothing)",
    ),
    Setting(
        "SEARCH_BEST_SELLER_DAYS",
        whole_number,
        90,
        "the zero-result search page offers the products most bought in paid orders over this many days",
    ),
    Setting(
        "LOGIN_LIMIT_PER_IP",
        text,
        "20 per 10 minutes",
        "sign-in attempts per IP address (Flask-Limiter notation; Redis storage when `REDIS_URL` is set)",
    ),
    Setting("LOGIN_LIMIT_PER_ACCOUNT", text, "5 per 10 minutes", "sign-in attempts per account"),
    Setting(
        "MARKETING_CONFIRM_HOURS",
        whole_number,
        72,
        "the link confirming a marketing consent (double opt-in) works this many hours",
    ),
    Setting(
        "MARKETING_CONFIRM_MAIL_LIMIT",
        text,
        "3 per day",
        "confirmation e-mails one address receives at most (Flask-Limiter notation)",
    ),
    # --- product pictures
    Setting(
        "MEDIA_ROOT",
        optional_text,
        None,
        "folder for downloaded and generated product pictures (WebP derivatives), outside `static/`",
        default_shown="`media/` in the instance folder",
    ),
    Setting(
        "PICTURE_MAX_BYTES",
        whole_number,
        10_000_000,
        "a feed picture larger than this many bytes is refused while downloading",
    ),
    Setting(
        "PICTURE_MAX_PIXELS",
        whole_number,
        40_000_000,
        "a picture with more pixels (width × height) is refused before decoding (decompression bombs)",
    ),
    Setting(
        "PICTURE_TIMEOUT_SECONDS",
        positive_number,
        10.0,
        "connect and read timeout of a picture download (the whole download gets three times this)",
        default_shown="`10`",
    ),
    Setting("PICTURE_MAX_REDIRECTS", whole_number, 3, "redirects a picture download follows, each checked anew"),
    Setting("PICTURE_MAX_ATTEMPTS", whole_number, 4, "tries before a picture that keeps failing is given up"),
    Setting(
        "PICTURE_RETRY_MINUTES",
        whole_number,
        30,
        "a failed picture is tried again after this many minutes, doubled after each try (30, 60, 120 …)",
    ),
    Setting("PICTURE_BATCH_SIZE", whole_number, 20, "pictures one run of the download job fetches at most"),
    Setting(
        "PICTURE_ALLOWED_PRIVATE_HOSTS",
        text,
        "",
        "`host` or `host:port` entries, comma separated, that picture downloads may reach although they resolve to "
        "internal addresses (tests only; leave empty in production)",
    ),
    # --- Telegram (the second marketing channel)
    Setting(
        "TELEGRAM_BOT_TOKEN",
        optional_text,
        None,
        "the bot's token from @BotFather; without it the account page offers no Telegram and campaigns stay e-mail",
        secret=True,
    ),
    Setting("TELEGRAM_BOT_USERNAME", text, "", "the bot's @username without the @, for the t.me deep link"),
    Setting(
        "TELEGRAM_WEBHOOK_SECRET",
        optional_text,
        None,
        "the secret_token given to setWebhook; updates without it in X-Telegram-Bot-Api-Secret-Token are refused",
        secret=True,
    ),
    Setting("TELEGRAM_API_URL", text, "https://api.telegram.org", "tests point it at the local stand-in"),
    Setting("TELEGRAM_TIMEOUT_SECONDS", positive_number, 10.0, "deadline of every Bot API call"),
    # --- payments
    Setting("YOOKASSA_SHOP_ID", optional_text, None, "YooKassa shop id"),
    Setting("YOOKASSA_SECRET_KEY", optional_text, None, "YooKassa secret key", secret=True),
    Setting(
        "YOOKASSA_API_URL", text, "https://api.yookassa.ru/v3", "tests and the demo point it at the local stand-in"
    ),
    Setting(
        "YOOKASSA_TIMEOUT_SECONDS",
        positive_number,
        10.0,
        "deadline of every YooKassa call; after it the outcome counts as unknown (the buyer sees «попробуйте ещё раз»)",
        default_shown="`10`",
    ),
    Setting(
        "YOOKASSA_TWO_STAGE",
        flag,
        False,
        "two-stage payments (hold, then capture while the order is payable, cancel otherwise)",
    ),
    Setting(
        "YOOKASSA_NOTIFICATION_NETWORKS",
        text,
        _YOOKASSA_NETWORKS,
        "who may POST `/payments/yookassa/notifications`: addresses and CIDRs, comma separated (the demo allows "
        "127.0.0.1)",
        default_shown="YooKassa's published ranges",
    ),
    Setting(
        "TRUSTED_PROXIES",
        text,
        "",
        "our reverse proxies (addresses or CIDRs); only from them are `X-Forwarded-For` and `X-Forwarded-Proto` "
        "read, for sign-in limits, audit entries, consents and payment notifications",
    ),
    Setting(
        "METRICS_ALLOWED_NETWORKS",
        text,
        "",
        "besides loopback, who may read `/metrics`: addresses and CIDRs, comma separated (the client behind "
        "`TRUSTED_PROXIES`); everyone else gets 403",
    ),
    Setting(
        "PROMETHEUS_MULTIPROC_DIR",
        optional_text,
        None,
        "several gunicorn workers: an empty folder where each worker writes its metrics, so `/metrics` adds them "
        "all up (read by prometheus-client; `gunicorn.conf.py` empties it at start)",
    ),
    Setting(
        "WEB_BIND", text, "127.0.0.1:8000", "where gunicorn listens (`gunicorn.conf.py`): `host:port` or `unix:path`"
    ),
    Setting(
        "WEB_WORKERS",
        whole_number,
        lambda environment: 2 * (os.cpu_count() or 1) + 1,
        "gunicorn worker processes",
        default_shown="2 × CPU cores + 1",
    ),
    Setting(
        "WEB_TIMEOUT_SECONDS",
        whole_number,
        30,
        "gunicorn restarts a worker silent for this long, and gives workers this long to finish on a restart",
    ),
    Setting(
        "ORDER_CARD_HOLD_MINUTES",
        whole_number,
        30,
        "an order to be paid by card holds its goods this long; still unpaid then, it is canceled and its stock "
        "released",
    ),
    Setting(
        "ORDER_PAYING_GRACE_MINUTES",
        whole_number,
        15,
        "a payment started while the order still holds its goods keeps them at least this long (the buyer is paying)",
    ),
    Setting(
        "ORDER_BANK_TRANSFER_BANKING_DAYS",
        whole_number,
        3,
        "an order to be paid by bank transfer against an invoice holds its goods until the end of this many banking "
        "days after the day it is placed (Moscow time, the production calendar)",
    ),
    Setting(
        "UNPAID_ORDERS_PER_CLIENT",
        whole_number,
        3,
        "open unpaid orders one e-mail, one account or one client address may hold at once (`0`: no limit)",
    ),
    Setting(
        "QUOTE_PRICE_FLOOR_PERCENT",
        percentage,
        Decimal("85"),
        "the lowest unit price an account manager may offer in a quote, as a percentage of the normal (price break) "
        "price; a quote with a line below it waits for an admin's approval before the buyer sees it",
    ),
    Setting("QUOTE_VALID_DAYS", whole_number, 14, "days a new quote stays valid unless the manager sets another date"),
    Setting(
        "CHECKOUT_LIMIT_PER_IP",
        text,
        "10 per hour",
        "orders one client address may place (Flask-Limiter notation, like `LOGIN_LIMIT_PER_IP`)",
    ),
    Setting("GUEST_LINK_DAYS", whole_number, 30, "days a guest's signed link to their order works"),
    Setting(
        "GUEST_LINK_REQUEST_LIMIT",
        text,
        "5 per hour",
        "requests for a new guest link one client address may make (Flask-Limiter notation)",
    ),
    Setting(
        "PICKUP_POINTS_FILE",
        optional_text,
        None,
        "СДЭК pickup points (JSON) written by `flask shipping import-points`; until then the packaged sample",
        default_shown="`cdek_points.json` in the instance folder",
    ),
    # --- supplier settlement
    Setting(
        "SETTLEMENT_REFUND_RETURNS_COMMISSION",
        flag,
        True,
        "a refund after the buyer confirmed receipt gives back the platform's commission on the refunded goods "
        "(off: the platform keeps it and the supplier's payable bears the whole refund)",
    ),
    # --- buyer protection
    Setting(
        "INSPECTION_DAYS_EXPRESS",
        whole_number,
        3,
        "days a buyer has after delivery to inspect an express parcel (СДЭК, Почта России) and confirm it or open "
        "a dispute; then the order confirms itself",
    ),
    Setting(
        "INSPECTION_DAYS_CARGO",
        whole_number,
        7,
        "the same for consolidated air, sea or land cargo (a shipment through the Harbin warehouse)",
    ),
    Setting(
        "QUALITY_CLAIM_DAYS",
        whole_number,
        30,
        "days after confirmation during which a buyer may still open a quality claim",
    ),
    Setting("DISPUTE_ANSWER_DAYS", whole_number, 5, "days staff have to answer a dispute before it is overdue"),
    Setting(
        "DISPUTE_ANSWER_DAYS_BY_TIER",
        text,
        "gold:3,platinum:3",
        "shorter answer times for tiers, `tier code:days` comma separated (other tiers get `DISPUTE_ANSWER_DAYS`)",
    ),
    Setting(
        "DISPUTE_PHOTO_MAX_BYTES",
        whole_number,
        10_000_000,
        "a dispute photo larger than this many bytes is refused (the upload request may carry ten of them)",
    ),
    Setting(
        "DISPUTE_PHOTO_MAX_PIXELS",
        whole_number,
        40_000_000,
        "a dispute photo with more pixels (width × height) is refused before decoding (decompression bombs)",
    ),
    # --- mail
    Setting("MAIL_SERVER", text, "127.0.0.1", "SMTP host for order and campaign mail"),
    Setting("MAIL_PORT", whole_number, 1025, "SMTP port"),
    Setting(
        "MAIL_SENDER",
        text,
        "Мостик <noreply@mostik.local>",
        "From: of the shop's e-mail (`make run` prints demo mail in the terminal)",
    ),
    Setting(
        "MAIL_TIMEOUT", positive_number, 10.0, "seconds an SMTP connection or command may take", default_shown="`10`"
    ),
    Setting(
        "MAIL_OUTBOX_LEASE_SECONDS",
        whole_number,
        300,
        "a sender's claim on outbox messages; a sender that dies leaves them to the next one after this",
    ),
    Setting(
        "MAIL_OUTBOX_RETRY_SECONDS",
        whole_number,
        60,
        "the first wait before an outbox message refused for now (4xx, no connection) is tried again; it doubles "
        "each time, up to an hour",
    ),
    Setting(
        "MAIL_OUTBOX_MAX_ATTEMPTS",
        whole_number,
        30,
        "attempts before an outbox message refused for now is marked failed (a 5xx reply fails it at once)",
    ),
    # --- the seller (operator of personal data): read by ``storefront.seller`` only; demo values by default
    Setting(
        "SELLER_FULL_NAME",
        text,
        "Общество с ограниченной ответственностью «Мостик»",
        "our full legal name (the privacy policy, the offer, the footer)",
    ),
    Setting("SELLER_NAME", text, "ООО «Мостик»", "our short name (invoices «счёт», the footer, the YML feed)"),
    Setting("SELLER_INN", inn_number, "7801123455", "our INN (10 digits, checksum verified)"),
    Setting("SELLER_KPP", kpp_number, "780101001", "our KPP"),
    Setting("SELLER_OGRN", ogrn_number, "1247800000018", "our OGRN (13 digits, checksum verified)"),
    Setting("SELLER_ADDRESS", text, "191186, Санкт-Петербург, Невский пр., д. 1", "our legal address"),
    Setting("SELLER_PHONE", text, "+7 812 000-00-00", "our phone for buyers, as printed"),
    Setting("SELLER_EMAIL", text, "privacy@mostik.example", "our address for buyers and personal-data requests"),
    # Bank requisites for invoices: demo values outside production; unset, the checkout does not offer «Оплата по
    # счёту» (an invoice is never printed with blanks). ``storefront.seller`` checks the accounts' keys at start-up.
    Setting(
        "SELLER_BANK_NAME",
        optional_text,
        lambda environment: None if environment == "production" else "АО «Демо-Банк», г. Санкт-Петербург",
        "our bank's name as printed on invoices (set all four bank settings, or none)",
        default_shown="a demo bank outside production",
    ),
    Setting(
        "SELLER_BIK",
        bik_number,
        lambda environment: None if environment == "production" else "044030999",
        "our bank's BIK",
        default_shown="a demo value outside production",
    ),
    Setting(
        "SELLER_SETTLEMENT_ACCOUNT",
        bank_account_number,
        lambda environment: None if environment == "production" else "40702810655000012345",
        "our settlement account (расчётный счёт; its control key is checked against the BIK)",
        default_shown="a demo value outside production",
    ),
    Setting(
        "SELLER_CORRESPONDENT_ACCOUNT",
        bank_account_number,
        lambda environment: None if environment == "production" else "30101810400000000999",
        "our bank's correspondent account (its control key is checked against the BIK)",
        default_shown="a demo value outside production",
    ),
    Setting(
        "BANK_STATEMENT_MAX_BYTES",
        whole_number,
        5_000_000,
        "the largest bank statement file (1C client-bank exchange) the CRM accepts for upload",
    ),
    Setting(
        "CBR_DAILY_URL", text, "https://www.cbr.ru/scripts/XML_daily.asp", "where `flask fx update` downloads rates"
    ),
    # --- CRM
    Setting("CRM_SESSION_IDLE_MINUTES", whole_number, 30, "a staff session ends after this many idle minutes"),
    Setting("CRM_SESSION_MAX_HOURS", whole_number, 12, "… and at the latest this many hours after sign-in"),
    Setting(
        "CRM_TOTP_REQUIRED_ROLES",
        word_list,
        lambda environment: frozenset({"admin", "finance"}) if environment == "production" else frozenset(),
        "staff roles that must sign in with a TOTP code (an authenticator app); anyone may enrol. Empty: nobody "
        "must (`-` sets empty in production)",
        default_shown="`admin,finance` in production, none in development and tests",
    ),
    Setting(
        "CRM_NEAR_TIER_PERCENT",
        percentage,
        Decimal("10"),
        "«Мои клиенты» flags a VIP buyer whose 12-month spend is within this many percent of the next tier's threshold",
    ),
    Setting(
        "CRM_REORDER_DUE_DAYS",
        whole_number,
        14,
        "a buyer is «due» this many days before the expected next order",
    ),
    Setting(
        "CRM_REORDER_LAPSE_MULTIPLE",
        positive_number,
        1.0,
        "a buyer has lapsed after this many median intervals past the expected next order",
    ),
    Setting(
        "CRM_REORDER_DEFAULT_INTERVAL_DAYS",
        positive_number,
        90.0,
        "the expected interval for buyers with one paid order while the platform has no baseline",
        default_shown="`90`",
    ),
    # --- campaigns
    Setting(
        "CAMPAIGN_SEND_RATE",
        non_negative_number,
        10.0,
        "campaign messages per second over all campaigns (`0`: unthrottled)",
        default_shown="`10`",
    ),
    Setting(
        "CAMPAIGN_BATCH_SIZE",
        whole_number,
        200,
        "messages one sender run (one `run-due` or Celery task) sends at most",
    ),
    Setting(
        "CAMPAIGN_CLAIM_LEASE_SECONDS",
        whole_number,
        600,
        "how long a claimed recipient waits before another sender may retry it (a sender that died)",
    ),
    Setting("CAMPAIGN_MAX_ATTEMPTS", whole_number, 3, "attempts before a refused message is marked failed"),
    Setting(
        "CAMPAIGN_RETRY_MINUTES",
        whole_number,
        10,
        "a refused message is retried after this many minutes times the attempts so far (10, 20 …)",
    ),
    Setting(
        "CAMPAIGN_FREQUENCY_CAP", whole_number, 2, "at most this many marketing e-mails per buyer over every campaign …"
    ),
    Setting("CAMPAIGN_FREQUENCY_DAYS", whole_number, 7, "… in this many days"),
    Setting(
        "CAMPAIGN_QUIET_START_HOUR",
        hour_of_day,
        21,
        "quiet hours (Moscow) start: automatic mail waits for the morning; a manual schedule asks to confirm",
    ),
    Setting("CAMPAIGN_QUIET_END_HOUR", hour_of_day, 9, "quiet hours end (Moscow)"),
    Setting(
        "CAMPAIGN_UNSUBSCRIBE_MAILTO", optional_text, None, "optional address added to the `List-Unsubscribe` header"
    ),
    Setting("CELERY_QUEUE", text, "mostik", "the Celery queue the worker consumes"),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}

#: Fixed settings: the same everywhere, not read from the environment.
FIXED: dict[str, Any] = {
    "BABEL_DEFAULT_LOCALE": "ru",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Moscow",
    "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
    "LANGUAGES": ("ru", "en"),
    "PRODUCTS_PER_PAGE": 24,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    #: «Remember me» lasts a month (Flask-Login's default is a year); its session row goes with it.
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    "RATELIMIT_HEADERS_ENABLED": True,
    # Redis down or hung: limits count in each process's memory until it is back (README, «Production»),
    # and a request waits at most half a second for it instead of hanging.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
}


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _dev_secret_key(instance_path: Path) -> str:
    """A random key generated once and kept under instance/, for development only."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def instance_path(environ: Mapping[str, str] | None = None) -> Path:
    """The instance folder, which the app needs before its config exists."""
    environ = os.environ if environ is None else environ
    return Path(BY_NAME["MOSTIK_INSTANCE_PATH"].value(environ, "production"))


def load_config(
    instance: Path, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Build the config mapping: every setting from the environment (or its default), then ``overrides``."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    environment = overrides.get("MOSTIK_ENV") or environ.get("MOSTIK_ENV") or "production"
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"MOSTIK_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")

    config: dict[str, Any] = {setting.key: setting.value(environ, environment) for setting in SETTINGS}
    config.update(FIXED)
    config["MOSTIK_ENV"] = environment
    config["SQLALCHEMY_DATABASE_URI"] = config["SQLALCHEMY_DATABASE_URI"] or f"sqlite:///{instance / 'mostik.db'}"
    config["MEDIA_ROOT"] = config["MEDIA_ROOT"] or str(instance / "media")
    # Cyrillic stays readable in JSON columns (attributes) instead of \uXXXX escapes.
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "json_serializer": _json_dumps}
    config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"] or "memory://"
    config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = environment == "production"
    config.update(overrides)
    if config["MOSTIK_ENV"] == "testing":
        config.setdefault("TESTING", True)

    if not config.get("SECRET_KEY"):
        if config["MOSTIK_ENV"] == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Production refuses to start without it: "
                "set SECRET_KEY to a long random value (python -c 'import secrets; print(secrets.token_hex(32))'), "
                "or set MOSTIK_ENV=development for a local demo."
            )
        config["SECRET_KEY"] = _dev_secret_key(instance)
    return config


def markdown_table() -> str:
    """The README's configuration table, generated from ``SETTINGS``."""
    lines = ["| variable | default | read as | meaning |", "| --- | --- | --- | --- |"]
    for setting in SETTINGS:
        secret = " **Secret.**" if setting.secret else ""
        read_as = READ_AS[setting.read]
        lines.append(f"| `{setting.name}` | {setting.shown_default()} | {read_as} | {setting.meaning}{secret} |")
    return "\n".join(lines) + "\n"


README_START, README_END = "<!-- settings:start -->\n", "<!-- settings:end -->"


def readme_with_table(readme: str) -> str:
    """``readme`` with the text between the settings markers replaced by the generated table."""
    before, rest = readme.split(README_START, 1)
    _, after = rest.split(README_END, 1)
    return before + README_START + markdown_table() + README_END + after

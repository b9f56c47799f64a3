"""Configuration from the environment (names are contracts: see DESIGN.md)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if not number > 0:
        raise ConfigError(f"{name} must be greater than zero, not {value!r}")
    return number


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


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the config mapping: defaults, then the environment, then ``overrides`` (tests)."""
    overrides = dict(overrides or {})
    environment = overrides.get("MOSTIK_ENV") or os.environ.get("MOSTIK_ENV", "production")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"MOSTIK_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'mostik.db'}"
    config: dict[str, Any] = {
        "MOSTIK_ENV": environment,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Cyrillic stays readable in JSON columns (attributes) instead of \uXXXX escapes.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "json_serializer": _json_dumps},
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "1025")),
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "YOOKASSA_SHOP_ID": os.environ.get("YOOKASSA_SHOP_ID"),
        "YOOKASSA_SECRET_KEY": os.environ.get("YOOKASSA_SECRET_KEY"),
        "YOOKASSA_API_URL": os.environ.get("YOOKASSA_API_URL", "https://api.yookassa.ru/v3"),
        # Seconds every YooKassa SDK call may take before its outcome counts as unknown.
        "YOOKASSA_TIMEOUT_SECONDS": _env_float("YOOKASSA_TIMEOUT_SECONDS", 10.0),
        # Who may POST notifications: CIDRs/addresses, comma separated (default: YooKassa's published ranges).
        "YOOKASSA_NOTIFICATION_NETWORKS": os.environ.get(
            "YOOKASSA_NOTIFICATION_NETWORKS",
            "185.71.76.0/27,185.71.77.0/27,77.75.153.0/25,77.75.156.11,77.75.156.35,77.75.154.128/25,2a02:5180::/32",
        ),
        # Our own reverse proxies; only behind them is X-Forwarded-For read (empty: never).
        "YOOKASSA_TRUSTED_PROXIES": os.environ.get("YOOKASSA_TRUSTED_PROXIES", ""),
        "CBR_DAILY_URL": os.environ.get("CBR_DAILY_URL", "https://www.cbr.ru/scripts/XML_daily.asp"),
        "BABEL_DEFAULT_LOCALE": "ru",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Moscow",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ("ru", "en"),
        "PRODUCTS_PER_PAGE": 24,
        "JOBS_IN_PROCESS": _env_bool("JOBS_IN_PROCESS", False),
        "LOG_TO_STDOUT": _env_bool("LOG_TO_STDOUT", environment == "production"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment == "production",
        "REMEMBER_COOKIE_SECURE": environment == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        #: Sign-in attempts allowed per IP and per account (Flask-Limiter notation).
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "20 per 10 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 10 minutes"),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Мостик <noreply@mostik.local>"),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", "10")),
        #: Hours an unpaid order keeps its stock before it is canceled.
        "ORDER_PAYMENT_HOURS": int(os.environ.get("ORDER_PAYMENT_HOURS", "24")),
        #: Seller requisites printed on invoices («счёт»).
        "SELLER_NAME": os.environ.get("SELLER_NAME", "ООО «Мостик»"),
        "SELLER_INN": os.environ.get("SELLER_INN", "7707083893"),
        "SELLER_KPP": os.environ.get("SELLER_KPP", "770701001"),
        "SELLER_ADDRESS": os.environ.get("SELLER_ADDRESS", "191186, Санкт-Петербург, Невский пр., д. 1"),
    }
    config.update(overrides)
    if config["MOSTIK_ENV"] == "testing":
        config.setdefault("TESTING", True)
    # Seconds each process keeps the category tree; tests change categories between requests.
    config.setdefault("CATEGORY_CACHE_SECONDS", 0 if config["MOSTIK_ENV"] == "testing" else 60)

    if not config.get("SECRET_KEY"):
        if config["MOSTIK_ENV"] == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Production refuses to start without it: "
                "set SECRET_KEY to a long random value (python -c 'import secrets; print(secrets.token_hex(32))'), "
                "or set MOSTIK_ENV=development for a local demo."
            )
        config["SECRET_KEY"] = _dev_secret_key(instance_path)
    return config

"""Configuration: one declared list of settings, read once; production never starts without a secret."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from storefront.config import FIXED, SETTINGS, ConfigError, load_config, readme_with_table


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("SECRET_KEY", "MOSTIK_ENV", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config(tmp_path, {"MOSTIK_ENV": "production"})


def test_production_is_the_default_environment(tmp_path):
    with pytest.raises(ConfigError):
        load_config(tmp_path)


def test_development_generates_a_key_once_and_keeps_it(tmp_path):
    first = load_config(tmp_path, {"MOSTIK_ENV": "development"})["SECRET_KEY"]
    second = load_config(tmp_path, {"MOSTIK_ENV": "development"})["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_an_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="MOSTIK_ENV"):
        load_config(tmp_path, {"MOSTIK_ENV": "staging"})


def test_database_defaults_to_a_sqlite_file_under_instance(tmp_path):
    config = load_config(tmp_path, {"MOSTIK_ENV": "development"})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'mostik.db'}"


def test_environment_overrides_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/db")
    config = load_config(tmp_path, {"MOSTIK_ENV": "production"})
    assert config["SECRET_KEY"] == "from-env"
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert config["SESSION_COOKIE_SECURE"] is True


# --- the one list of settings --------------------------------------------------------------------------------


ROOT = Path(__file__).resolve().parents[2]
#: Keys load_config derives from other settings rather than reading them.
DERIVED = {"SQLALCHEMY_ENGINE_OPTIONS", "RATELIMIT_STORAGE_URI", "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"}
#: Environment variables read by one command as its input (documented with the command), not app settings.
COMMAND_INPUTS = {"MOSTIK_STAFF_PASSWORD", "MOSTIK_DEMO_MANAGER_PASSWORD"}


def _sources() -> list[Path]:
    return [path for package in ("storefront", "crm") for path in sorted((ROOT / package).rglob("*.py"))]


def test_the_readme_table_is_generated_from_the_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_with_table(readme) == readme, "run `make settings-table` and commit README.md"
    for setting in SETTINGS:
        assert f"| `{setting.name}` |" in readme


def test_every_config_key_the_code_reads_is_declared():
    declared = {setting.key for setting in SETTINGS} | set(FIXED) | DERIVED | {"TESTING"}
    read = set()
    for path in _sources():
        read |= set(re.findall(r"config(?:\[|\.get\(|\.setdefault\()\"([A-Z][A-Z0-9_]+)\"", path.read_text()))
    assert read, "the pattern found nothing: the test would prove nothing"
    assert read - declared == set()


def test_only_the_config_module_reads_the_environment():
    for path in _sources():
        if path.name == "config.py" or "os.environ" not in (text := path.read_text()):
            continue
        # A command may read its own input (a password), named by a constant; nothing else.
        assert any(name in text for name in COMMAND_INPUTS), f"{path} reads the environment: declare it in SETTINGS"


def test_nothing_secret_has_a_default():
    for setting in SETTINGS:
        if setting.secret:
            assert setting.default in (None, ""), setting.name


def test_defaults_load_with_an_empty_environment(tmp_path):
    config = load_config(tmp_path, {"MOSTIK_ENV": "production", "SECRET_KEY": "k"}, environ={})
    assert config["CRM_NEAR_TIER_PERCENT"] == Decimal("10")
    assert config["CAMPAIGN_BATCH_SIZE"] == 200
    assert config["CATEGORY_CACHE_SECONDS"] == 60
    assert config["LOG_TO_STDOUT"] is True
    assert load_config(tmp_path, {"MOSTIK_ENV": "testing"}, environ={})["CATEGORY_CACHE_SECONDS"] == 0


def test_values_are_read_by_their_type(tmp_path):
    environ = {
        "CRM_NEAR_TIER_PERCENT": "7,5",
        "CATEGORY_CACHE_SECONDS": "30",
        "YOOKASSA_TWO_STAGE": "yes",
        "MAIL_TIMEOUT": "2.5",
        "CAMPAIGN_UNSUBSCRIBE_MAILTO": " ",
        "CRM_REORDER_DUE_DAYS": "21",
    }
    config = load_config(tmp_path, {"MOSTIK_ENV": "testing"}, environ=environ)
    assert config["CRM_NEAR_TIER_PERCENT"] == Decimal("7.5")
    assert config["CATEGORY_CACHE_SECONDS"] == 30
    assert config["YOOKASSA_TWO_STAGE"] is True
    assert config["MAIL_TIMEOUT"] == 2.5
    assert config["CAMPAIGN_UNSUBSCRIBE_MAILTO"] is None
    assert config["CRM_REORDER_DUE_DAYS"] == 21


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("CRM_NEAR_TIER_PERCENT", "много"),
        ("CRM_NEAR_TIER_PERCENT", "0"),
        ("CRM_NEAR_TIER_PERCENT", "150"),
        ("CAMPAIGN_BATCH_SIZE", "двести"),
        ("CAMPAIGN_QUIET_START_HOUR", "25"),
        ("YOOKASSA_TIMEOUT_SECONDS", "0"),
        ("MAIL_PORT", "-1"),
        ("CATEGORY_CACHE_SECONDS", "-5"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(tmp_path, name, bad):
    with pytest.raises(ConfigError, match=rf"^{name} must be a .*{re.escape(repr(bad))}"):
        load_config(tmp_path, {"MOSTIK_ENV": "testing"}, environ={name: bad})

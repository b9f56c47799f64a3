"""Configuration: production never starts without a secret; development keeps a generated one."""

import pytest

from storefront.config import ConfigError, load_config


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

"""Test fixtures: one app per run on a fresh database (SQLite file, or a fresh PostgreSQL
schema when TEST_DATABASE_URL is set), migrated with Alembic, emptied after every test."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy.orm import Session

import wsgi
from storefront.catalog.queries import configure_category_cache
from storefront.db import Base
from storefront.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _postgres_schema_url(base_url: str, schema: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_postgres_schema(prefix: str) -> Iterator[str]:
    """A new schema on TEST_DATABASE_URL for the duration; yields a URL whose search_path is it."""
    assert TEST_DATABASE_URL
    schema = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(TEST_DATABASE_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(TEST_DATABASE_URL, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database nobody else sees: a temp SQLite file, or a new schema dropped at the end."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    with fresh_postgres_schema("test") as url:
        yield url


def make_test_config(database_url: str, instance_path: Path, **extra: object) -> dict[str, object]:
    return {
        "MOSTIK_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "SERVER_NAME": None,
        **extra,
    }


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    os.environ["MOSTIK_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    application = wsgi.create_app(make_test_config(database_url, Path(os.environ["MOSTIK_INSTANCE_PATH"])))
    with application.app_context():
        upgrade()
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()


def _empty_all_tables(session: Session) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            # Self-references (the category tree) would block a plain DELETE on SQLite.
            for foreign_key in table.foreign_keys:
                if foreign_key.column.table is table:
                    session.execute(table.update().values({foreign_key.parent.name: None}))
            session.execute(table.delete())
    session.commit()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touches the app starts from empty tables."""
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    # Caches are per process: a test that builds another app (the benchmark smoke tests build production
    # ones) would otherwise leave its cache lifetime, and a stale category tree, to the tests after it.
    configure_category_cache(application.config["CATEGORY_CACHE_SECONDS"])
    yield
    with application.app_context():
        db.session.rollback()
        _empty_all_tables(db.session)
        db.session.remove()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the app's engine for service and query tests.

    Deliberately not the app's scoped session inside a pushed app context: test-client
    requests would then share that context (and its ``g``, locale and session) with the test.
    """
    with app.app_context():
        engine = db.engine
    with Session(engine) as test_session:
        yield test_session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def engine_name(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture(autouse=True)
def _reset_rate_limits(request: pytest.FixtureRequest) -> Iterator[None]:
    """Sign-in throttling counts per test, not across the whole run."""
    yield
    if "app" in request.fixturenames:
        from storefront.extensions import limiter

        with request.getfixturevalue("app").app_context():
            limiter.reset()


class _Mailbox:
    """Messages received by the local SMTP server, parsed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content  # type: ignore[attr-defined]
        self.messages.append(BytesParser(policy=default_policy).parsebytes(raw))
        return "250 Message accepted"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[_Mailbox, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for the whole run."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def mailbox(app: Flask, smtp_server: tuple[_Mailbox, int]) -> Iterator[_Mailbox]:
    """Point the app's mail at the local SMTP server; the list starts empty for each test."""
    box, port = smtp_server
    box.messages.clear()
    previous = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = port
    yield box
    app.config["MAIL_PORT"] = previous

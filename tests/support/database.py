"""The test database: which engine (TEST_DATABASE_URL), fresh PostgreSQL schemas, the app config, emptying."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storefront.db import Base

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _postgres_schema_url(base_url: str, schema: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}"


def runs_on_postgres() -> bool:
    return bool(TEST_DATABASE_URL) and sa.engine.make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql"


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


def make_test_config(database_url: str, instance_path: Path, **extra: object) -> dict[str, object]:
    return {
        "MOSTIK_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "SERVER_NAME": None,
        **extra,
    }


def empty_all_tables(session: Session) -> None:
    """Delete every row of every table and commit (TRUNCATE … RESTART IDENTITY on PostgreSQL)."""
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

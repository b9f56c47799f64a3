"""A throwaway database per benchmark run: a SQLite file, or a fresh schema of ``BENCH_DATABASE_URL``."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from bench.run import _schema_url


def execute(base_url: str, statement: str) -> None:
    """One administrative statement (create or drop a schema) on its own short-lived connection."""
    admin = sa.create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(sa.text(statement))
    admin.dispose()


@contextmanager
def _postgres_schema(name: str, suffix: str, drop_after: bool) -> Iterator[str | None]:
    """A schema ``bench_<name>_<suffix>`` of ``BENCH_DATABASE_URL`` (created when missing), or None without one."""
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        yield None
        return
    schema = f"bench_{name.replace('-', '_')}_{suffix}"
    execute(base, f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    try:
        yield _schema_url(base, schema)
    finally:
        if drop_after:
            execute(base, f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def throwaway_database(engine: str, work_dir: Path, name: str) -> Iterator[str | None]:
    """Yield a URL of an empty database for ``engine`` and remove it afterwards.

    SQLite: ``<work_dir>/<name>.db``. PostgreSQL: a schema ``bench_<name>_<random>`` of ``BENCH_DATABASE_URL``;
    ``None`` when that variable is not set (the caller reports the engine as skipped).
    """
    if engine != "sqlite":
        with _postgres_schema(name, secrets.token_hex(4), drop_after=True) as url:
            yield url
        return
    path = work_dir / f"{name}.db"
    path.unlink(missing_ok=True)
    try:
        yield f"sqlite:///{path}"
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def kept_database(engine: str, work_dir: Path, name: str) -> Iterator[str | None]:
    """Like ``throwaway_database`` but kept afterwards under a fixed name, so a later run can reuse its data.

    SQLite: ``<work_dir>/<name>-kept.db``. PostgreSQL: the schema ``bench_<name>_kept`` of ``BENCH_DATABASE_URL``
    (created when missing). The caller decides whether what it finds there is usable.
    """
    if engine != "sqlite":
        with _postgres_schema(name, "kept", drop_after=False) as url:
            yield url
        return
    yield f"sqlite:///{work_dir / f'{name}-kept.db'}"

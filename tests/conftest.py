"""The root of the tests. Shared fixtures live in ``tests/fixtures/`` and are registered here, once;
helpers tests import (factories, HTTP drivers, database tools) live in ``tests/support/``.

Layout: ``tests/<package>/<area>/test_*.py`` mirrors the source tree (``storefront``, ``crm``, ``devtools``,
``bench``, ``migrations``, ``translations``); ``tests/browser/`` holds the Playwright tests (marked
``browser``). Tests that need PostgreSQL are marked ``postgres_only`` and skipped on SQLite.
"""

from __future__ import annotations

import pytest

from tests.support.database import runs_on_postgres

pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.mail",
    "tests.fixtures.payments",
]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres_only") and not runs_on_postgres():
        pytest.skip("runs on PostgreSQL only (TEST_DATABASE_URL)")

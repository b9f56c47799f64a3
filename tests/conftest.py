"""The root of the tests. Shared fixtures live in ``tests/fixtures/`` and are registered here, once;
helpers tests import (factories, HTTP drivers, database tools) live in ``tests/support/``.

Layout: ``tests/<package>/<area>/test_*.py`` mirrors the source tree (``storefront``, ``crm``, ``demo``,
``devtools``, ``bench``, ``migrations``, ``translations``), every directory a package (``__init__.py``), so a
module's tests sit beside the other tests of its area whatever their kind (pure, database, HTTP, stand-in).
``tests/browser/`` holds the Playwright tests (marked ``browser``; their live server and chromium fixtures are in
its conftest). Tests that need PostgreSQL are marked ``postgres_only`` and skipped on SQLite. Data samples are in
``tests/data/``.
"""

from __future__ import annotations

import pytest

from tests.support.database import runs_on_postgres

pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.mail",
    "tests.fixtures.payments",
    "tests.fixtures.telegram",
]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres_only") and not runs_on_postgres():
        pytest.skip("runs on PostgreSQL only (TEST_DATABASE_URL)")

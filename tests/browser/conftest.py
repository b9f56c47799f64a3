"""Browser tests: the app served by a real werkzeug server thread on 127.0.0.1, driven by Debian's
chromium through Playwright. Screenshots of every page go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.support.live import served

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The test app on a real HTTP server in a thread; yields its base URL."""
    with served(app, "live-server") as base_url:
        previous = app.config["PUBLIC_BASE_URL"]
        app.config["PUBLIC_BASE_URL"] = base_url
        yield base_url
        app.config["PUBLIC_BASE_URL"] = previous


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browsers`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Shots:
    """Saves numbered full-page screenshots named after the test and the step."""

    def __init__(self, test_name: str) -> None:
        self.directory = SCREENSHOTS
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = test_name.removeprefix("test_")
        self.count = 0

    def __call__(self, page: object, step: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.prefix}-{self.count:02d}-{step}.png"
        page.evaluate("window.scrollTo(0, 0)")  # type: ignore[attr-defined]  (the sticky header stays on top)
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


@pytest.fixture
def page(browser: object, live_server: str) -> Iterator[object]:
    context = browser.new_context(base_url=live_server, locale="ru-RU", viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    context.close()


def wait_until(page: object, expression: str, timeout: float = 10.0) -> None:
    """Poll a JavaScript expression until it is true. Not ``page.wait_for_function``: that evaluates a string
    with eval inside the page, which our Content-Security-Policy (rightly) forbids."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise AssertionError(f"never true: {expression}")
        time.sleep(0.05)


def open_tab(browser: object, base_url: str, width: int) -> tuple[object, object]:
    """A Russian browser context of ``width`` px on ``base_url`` and its first tab (close the context after)."""
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=base_url, locale="ru-RU", viewport={"width": width, "height": 860}
    )
    context.set_default_timeout(15000)
    return context, context.new_page()


def assert_no_sideways_scroll(tab: object) -> None:
    """The page fits its width; when not, the message names the first elements sticking out."""
    overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")  # type: ignore[attr-defined]
    culprits = tab.evaluate(  # type: ignore[attr-defined]
        "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right >"
        " document.documentElement.clientWidth + 0.5).slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )
    assert overflow <= 0, f"{tab.url} scrolls sideways by {overflow}px: {culprits}"  # type: ignore[attr-defined]


def sign_in(tab: object, email: str, password: str | None = None, path: str = "/crm/login") -> None:
    """Sign in on the login page at ``path`` (the CRM's by default; the password defaults to ``factories.PASSWORD``,
    the staff's and the test buyers' own)."""
    from tests.support.factories import PASSWORD

    tab.goto(path)  # type: ignore[attr-defined]
    tab.fill("#email", email)  # type: ignore[attr-defined]
    tab.fill("#password", password or PASSWORD)  # type: ignore[attr-defined]
    with tab.expect_navigation():  # type: ignore[attr-defined]
        tab.locator("main form button[type=submit]").last.click()  # type: ignore[attr-defined]


def press(tab: object, name: str) -> None:
    """Click the button called exactly ``name`` and wait for the page it leads to."""
    with tab.expect_navigation():  # type: ignore[attr-defined]
        tab.get_by_role("button", name=name, exact=True).click()  # type: ignore[attr-defined]

"""Real-browser tests: Playwright (Python) driving Debian's Chromium against a live server.

`make test` installs Debian's ``chromium`` through apt when it is missing; the tests never
download a browser of their own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("XIAONENG_CHROMIUM", "/usr/bin/chromium")

# Playwright's sync API keeps an event loop running in this thread; the ORM calls the tests
# make to set up data are ordinary synchronous calls, so Django's async guard is lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent.name == "browser":
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def seeded_calendar(transactional_db):  # type: ignore[no-untyped-def]
    """The holiday table as migrations seed it.

    A live-server test runs on a transactional database that is emptied after each test, which
    also empties the table the seed migration filled; put it back before the test.
    """
    from xiaoneng.calendars.models import CalendarYear
    from xiaoneng.calendars.services import calendar_package_seed

    if not CalendarYear.objects.exists():
        calendar_package_seed(actor=None)


@pytest.fixture
def page(browser, live_server, seeded_calendar):  # type: ignore[no-untyped-def]
    """A fresh browser page (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()

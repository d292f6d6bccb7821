"""Browser tests: a real headless Chromium (Debian's ``chromium`` package) driven by Playwright for Python.

No browser is downloaded: Playwright only drives ``/usr/bin/chromium`` (``apt-get install chromium``); the
tests are skipped, saying why, when it or the ``playwright`` package is missing. Screenshots are kept in
``var/screenshots/`` for a person to look at.
"""
import contextlib
import os
import re
import warnings
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # the browser fixture skips, saying why
    PlaywrightError = Exception

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = Path(os.environ.get("ONESTOP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests (this package), stopped before the rest of the suite runs."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    # While Playwright's synchronous API is started, an asyncio loop counts as running in this thread, and
    # Django refuses database calls here (SynchronousOnlyOperation), such as the flush after each live-server
    # test. Hence the package scope: the loop and this setting last only as long as the browser tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, for the screenshot on failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def save_screenshot(page, node, name="page", **options):
    """Save ``var/screenshots/<test>-<name>.png`` and return its path, or ``None`` when Chromium could not
    capture it. A screenshot is a record for a person, not an assertion: a busy machine sometimes cannot
    capture one in time (``Page.captureScreenshot``), and that must not fail the story being told."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{node.name}-{name}").strip("-")
    path = SCREENSHOTS / f"{stem}.png"
    try:
        page.screenshot(path=str(path), **options)
    except PlaywrightError as error:
        warnings.warn(f"screenshot {path.name} not saved: {error}", stacklevel=2)
        return None
    return path


def watch_console(page):
    """Collect the page's console errors and uncaught exceptions in ``page.console_errors``.

    A page that answers its own form with 400 (errors shown next to the fields) is intended: Chromium logs
    that as a failed load of the page itself, which is not counted. A failed script, style or request is.
    """
    page.console_errors = []

    def on_console(message):
        own_page = message.location.get("url") == page.url
        if message.type == "error" and not (own_page and message.text.startswith("Failed to load resource")
                                            and "status of 400" in message.text):
            page.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    return page


@pytest.fixture
def page(browser, request):
    """A fresh page (own cookies and storage) that collects console errors and uncaught exceptions in
    ``page.console_errors``; a screenshot of it is saved when the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    watch_console(page)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        with contextlib.suppress(Exception):  # the test's own failure is what matters
            save_screenshot(page, request.node, "failure")
    context.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "name")`` saves ``var/screenshots/<test>-<name>.png`` and returns its path."""

    def save(page, name="page", **options):
        return save_screenshot(page, request.node, name, **options)

    return save

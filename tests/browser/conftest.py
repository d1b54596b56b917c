"""Browser test set-up: a live server with the demo data, driven by headless Chromium.

Playwright drives the system's Chromium (``PASSNUM_TEST_CHROMIUM``, default
``/usr/bin/chromium``); no browser is downloaded. Without a usable Chromium the tests
skip with a one-line reason; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    expect,
    sync_playwright,
)
from sqlalchemy import update

from passnum.auth.models import User
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.sample.accounts import sample_code
from passnum.sample.demo import DEMO_PASSWORD, load_demo
from tests.conftest import make_app, unavailable
from tests.liveserver import serve

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# The network is closed: without these Chromium waits on connections nobody answers.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ACTION_TIMEOUT_MS = 10_000
LAUNCH_TIMEOUT_MS = 30_000


def chromium_path() -> str:
    """Return the Chromium to drive, or skip (fail under CI) when there is none."""
    path = os.environ.get("PASSNUM_TEST_CHROMIUM") or (
        DEFAULT_CHROMIUM if Path(DEFAULT_CHROMIUM).exists() else ""
    )
    if not path:
        unavailable("Browser tests need Chromium: set PASSNUM_TEST_CHROMIUM")
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        unavailable(f"Browser tests need Chromium: {path} is not an executable file")
    return path


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The Chromium executable, checked once per session."""
    return chromium_path()


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True,
                timeout=LAUNCH_TIMEOUT_MS,
            )
        except Error as err:
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
            unavailable(f"Chromium at {chromium_executable} does not start: {first_line}")
        yield chromium
        chromium.close()


@dataclass(frozen=True)
class LiveServer:
    """A running passnum server: its base URL and its app (for looking into the DB)."""

    url: str
    app: Flask

    def app_context(self) -> AbstractContextManager:
        """An application context of the served app, for reading the database."""
        return self.app.app_context()


@pytest.fixture
def live_server(
    chromium_executable: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """Serve a fresh app with the demo data, CSRF on as in production, on a free port."""

    def build(url: str) -> Flask:
        app = make_app("sqlite", tmp_path, request, WTF_CSRF_ENABLED=True, BASE_URL=url)
        with app.app_context(), unit_of_work():
            load_demo()
        return app

    with serve(build) as (url, app):
        yield LiveServer(url=url, app=app)


@pytest.fixture
def viewport() -> dict[str, int]:
    """The browser window size; a test module overrides this fixture to change it."""
    return {"width": 1280, "height": 800}


@dataclass
class BrowserErrors:
    """Console and page errors seen by the browser, minus the ones a test expects."""

    seen: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Expect console errors matching ``pattern`` (e.g. a form answered with 409)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        """The errors no ``allow`` pattern covers."""
        return [e for e in self.seen if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def browser_errors() -> BrowserErrors:
    """What the page reported; a test may ``allow`` the errors it provokes on purpose."""
    return BrowserErrors()


@pytest.fixture
def page(
    browser: Browser, live_server: LiveServer, viewport: dict[str, int],
    browser_errors: BrowserErrors,
) -> Iterator[Page]:
    """A page in a fresh context; any unexpected console or page error fails the test.

    Relative URLs resolve against the live server, downloads are accepted.
    """
    context = browser.new_context(
        base_url=live_server.url, accept_downloads=True, viewport=viewport,
        locale="fr-FR", timezone_id="Europe/Paris",
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    serve_blank_tiles(context, live_server.app)
    page = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url") or page.url
            browser_errors.seen.append(f"console error: {message.text} ({where})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: browser_errors.seen.append(f"page error: {exc}"))
    check_accessibility(page, browser_errors)
    yield page
    with suppress(Error):  # the page the test ends on, checked to the end (once the
        # run its load started is over: axe runs one at a time)
        page.wait_for_function("() => !window.axe || !window.axe._running", timeout=10_000)
        report_axe(browser_errors, page.url, page.evaluate(AXE_RUN))
    context.close()
    if problems := browser_errors.unexpected():
        pytest.fail("The browser reported errors:\n" + "\n".join(problems), pytrace=False)


# a 1 × 1 transparent PNG: every map tile in tests (the network is closed)
BLANK_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


def serve_blank_tiles(context: BrowserContext, app: Flask) -> None:
    """Answer the map's tile requests (``MAP_TILE_ORIGIN``, the CSP's source) with a
    blank tile, so that no test needs the network and no failed load is reported."""
    origin = app.config.get("MAP_TILE_ORIGIN")
    if not origin:
        return
    pattern = re.compile("^" + re.escape(origin).replace(r"\*", "[^/]+") + "/")
    context.route(pattern, lambda route: route.fulfill(
        status=200, content_type="image/png", body=BLANK_TILE))


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA rules; the impacts that fail a test
AXE_RUN = """() => axe.run(document, {runOnly: {type: 'tag', values:
  ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
  .then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
  .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3)
    .map(n => n.target.join(' ')).join(', ')))"""
AXE_ON_LOAD = ("window.addEventListener('load', () => {\n"
               "  if (!window.axe || document.contentType !== 'text/html') return;\n"
               f"  ({AXE_RUN})().then(found => window.passnumAxeReport(location.href, found));\n"
               "});")


def check_accessibility(page: Page, errors: BrowserErrors) -> None:
    """Run axe-core (WCAG 2.1 AA) on every page ``page`` loads; serious and critical
    violations become errors of the test. axe is injected by the browser itself, so the
    pages' Content-Security-Policy stays as served."""
    if not AXE.is_file():
        unavailable("axe-core is missing: run npm ci (make assets)")
    page.expose_function("passnumAxeReport", lambda url, found: report_axe(errors, url, found))
    page.add_init_script(path=str(AXE))
    page.add_init_script(script=AXE_ON_LOAD)


def report_axe(errors: BrowserErrors, url: str, found: list[str] | None) -> None:
    """Record axe's findings on ``url``."""
    for violation in found or []:
        errors.seen.append(f"accessibility: {violation} ({url})")


@pytest.fixture
def log_in(page: Page, live_server: LiveServer) -> Callable[..., None]:
    """Return a function that logs ``page`` in as a demo account through the login form."""

    def _log_in(email: str, password: str = DEMO_PASSWORD) -> None:
        """Log in as ``email`` (second factor included) and wait for the welcome."""
        log_in_page(page, live_server, email, password)

    return _log_in


def log_in_page(page: Page, live_server: LiveServer, email: str,
                password: str = DEMO_PASSWORD) -> None:
    """Fill in the login form; for administrators and managers, then the code of the
    demo accounts' published authenticator key."""
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    if "/connexion/code" in page.url:
        # one code per 30-second step: forget the step a previous login of this test used
        with live_server.app_context(), unit_of_work():
            db.session.execute(update(User).where(User.email == email)
                               .values(totp_last_step=None))
        page.get_by_label("Code à 6 chiffres").fill(sample_code())
        page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Vous êtes connecté(e).")).to_be_visible()

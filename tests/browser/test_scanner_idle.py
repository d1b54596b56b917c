"""The scanner outlives a real idle timeout: the session cookie expires, the agent logs in
again on the page and the kept scan is taken for the chosen workshop.

The served app's sessions end after a few seconds without a request (instead of 30
minutes), so that the idle expiry itself, not a revocation, ends the session.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from passnum.core.db import unit_of_work
from passnum.sample.demo import DEMO_PASSWORD, load_demo
from tests.browser.conftest import BrowserErrors, LiveServer
from tests.browser.test_scanner import (
    API_REFUSALS,
    PHONE,
    expect_verdict,
    live_lines,
    log_in_and_scan,
    new_booklet,
    new_workshop,
    pick_workshop,
    type_code,
)
from tests.conftest import make_app
from tests.liveserver import serve

pytestmark = pytest.mark.browser

IDLE = timedelta(seconds=4)


@pytest.fixture
def live_server(
    chromium_executable: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """The demo app whose sessions end after ``IDLE`` without a request."""

    def build(url: str) -> Flask:
        app = make_app("sqlite", tmp_path, request, WTF_CSRF_ENABLED=True, BASE_URL=url,
                       PERMANENT_SESSION_LIFETIME=IDLE)
        with app.app_context(), unit_of_work():
            load_demo()
        return app

    with serve(build) as (url, app):
        yield LiveServer(url=url, app=app)


def test_idle_timeout_on_the_scanner_then_login_in_place(
    page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    """Item 1: the idle timeout passes; the next scan is kept, not refused; the password
    in the dialog logs in again and the chèque is taken for the workshop kept."""
    browser_errors.allow(API_REFUSALS)
    page.set_viewport_size(PHONE)
    workshop_id = new_workshop(live_server, title="Atelier courriel")
    booklet = new_booklet(live_server)
    log_in_and_scan(page)
    pick_workshop(page, workshop_id)
    time.sleep(IDLE.total_seconds() + 1)

    type_code(page, booklet["codes"][0])
    expect_verdict(page, "unverified", "unauthenticated", "Non vérifié : session expirée")
    dialog = page.get_by_role("dialog", name="Reconnectez-vous")
    dialog.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    dialog.get_by_role("button", name="Se reconnecter").click()
    expect_verdict(page, "ok", "ok", f"Encaissé : {booklet['serials'][0]}")
    expect(page.locator("#verdict")).to_contain_text("Atelier courriel")
    expect(page.get_by_label("Atelier")).to_have_value(str(workshop_id))
    lines = live_lines(live_server, booklet["serials"][0])
    assert len(lines) == 1 and lines[0][1] == workshop_id

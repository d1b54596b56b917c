"""The scanner against the server's real code-check budget: a 429 is "Non vérifié".

The served app here counts code checks (``RATELIMIT_CODE_CHECKS``: two a minute per
user) as production does; the third check of the minute answers 429 ``rate_limited``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from passnum.core.db import unit_of_work
from passnum.sample.demo import load_demo
from tests.browser.conftest import BrowserErrors, LiveServer
from tests.browser.test_scanner import (
    API_REFUSALS,
    PHONE,
    expect_verdict,
    live_lines,
    log_in_and_scan,
    new_booklet,
    pick_workshop,
    type_code,
)
from tests.conftest import make_app
from tests.liveserver import serve

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(
    chromium_executable: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """The demo app with code checks limited to two a minute per user."""

    def build(url: str) -> Flask:
        app = make_app("sqlite", tmp_path, request, WTF_CSRF_ENABLED=True, BASE_URL=url,
                       RATELIMIT_ENABLED=True, RATELIMIT_CODE_CHECKS="2 per minute")
        with app.app_context(), unit_of_work():
            load_demo()
        return app

    with serve(build) as (url, app):
        yield LiveServer(url=url, app=app)


def test_a_real_rate_limit_is_not_a_refusal(
    page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    """Item 2: past the budget the scan shows "Non vérifié : trop de vérifications",
    neutral, kept in the queue, never "Chèque refusé"."""
    browser_errors.allow(API_REFUSALS)
    page.set_viewport_size(PHONE)
    booklet = new_booklet(live_server)
    log_in_and_scan(page)
    pick_workshop(page, None)
    type_code(page, booklet["codes"][0])  # a check and a redemption: the two allowed
    expect_verdict(page, "ok", "ok", "Encaissé")

    type_code(page, booklet["codes"][1])
    expect_verdict(page, "unverified", "rate_limited", "Non vérifié : trop de vérifications")
    expect(page.locator("#verdict")).not_to_contain_text("refusé")
    row = page.locator("#queue-list li")
    expect(row).to_have_attribute("data-state", "waiting")
    expect(page.get_by_role("heading", name="En attente de réseau (1)")).to_be_visible()
    assert live_lines(live_server, booklet["serials"][1]) == []

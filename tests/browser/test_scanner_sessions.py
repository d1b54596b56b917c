"""The scanner through a working day: an expired login, technical failures, typing errors.

A venue agent must never turn a person away because of the app: an expired session is
logged in again on the page itself (the workshop and the pending scans kept), a rate
limit, a network failure or a server error is "Non vérifié" (neutral, the scan kept to
retry), and a mistyped manual code is caught on the phone before anything is sent.
"""

from __future__ import annotations

import random

import pytest
from flask import url_for
from playwright.sync_api import Page, Request, expect
from sqlalchemy import update

from passnum.auth.models import User
from passnum.core import codes
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.sample.demo import DEMO_PASSWORD
from tests.browser.conftest import AXE_RUN, BrowserErrors, LiveServer, report_axe
from tests.browser.test_scanner import (
    AGENT,
    API_REFUSALS,
    PHONE,
    expect_verdict,
    live_lines,
    log_in_and_scan,
    new_booklet,
    new_workshop,
    pick_workshop,
    redemption_count,
    type_code,
)

pytestmark = pytest.mark.browser

CHECK_API = "**/api/v1/vouchers/check*"
# Every state the verdict area takes is recorded, to prove "bad" never showed.
RECORD_STATES = """() => {
  window.verdictStates = [];
  const verdict = document.getElementById('verdict');
  new MutationObserver(() => window.verdictStates.push(verdict.dataset.state))
    .observe(verdict, {attributes: true, attributeFilter: ['data-state']});
}"""


@pytest.fixture
def scanner(page: Page, browser_errors: BrowserErrors) -> Page:
    """The demo agent's scanner on a phone-sized window (as in test_scanner)."""
    browser_errors.allow(API_REFUSALS)
    page.set_viewport_size(PHONE)
    log_in_and_scan(page)
    return page


def end_sessions_on_server(live_server: LiveServer, email: str = AGENT) -> None:
    """End every session of the account on the server (as an idle timeout or a logout
    elsewhere would): the page's cookie no longer names a user."""
    with live_server.app_context(), unit_of_work():
        db.session.execute(update(User).where(User.email == email)
                           .values(session_version=User.session_version + 1))


def requests_to(page: Page, fragment: str) -> list[str]:
    """A live list of the URLs the page requests that contain ``fragment``."""
    seen: list[str] = []

    def on_request(request: Request) -> None:
        if fragment in request.url:
            seen.append(request.url)

    page.on("request", on_request)
    return seen


def test_expired_session_logs_in_again_in_place_and_sends_the_kept_scan(
    scanner: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    """Item 1: the session ends during the shift; the scan is kept, the agent logs in
    again in a dialog on the same page, and the chèque is redeemed for the workshop."""
    browser_errors.allow(r"status of 422 .*/connexion")  # the wrong password first
    workshop_id = new_workshop(live_server, title="Atelier tablette")
    booklet = new_booklet(live_server)
    scanner.reload()
    expect(scanner.locator("#scanner")).to_have_attribute("data-ready", "true")
    pick_workshop(scanner, workshop_id)
    scanner.evaluate(RECORD_STATES)
    end_sessions_on_server(live_server)

    type_code(scanner, booklet["codes"][0])
    expect_verdict(scanner, "unverified", "unauthenticated", "Non vérifié")
    expect(scanner.locator("#queue-list li")).to_have_attribute("data-state", "waiting")
    dialog = scanner.get_by_role("dialog", name="Reconnectez-vous")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Mot de passe")).to_be_focused()
    assert redemption_count(live_server) == 0
    # the dialog and the "Non vérifié" state pass axe-core as the rest of the page
    report_axe(browser_errors, scanner.url, scanner.evaluate(AXE_RUN))

    dialog.get_by_label("Mot de passe").fill("pas le bon mot de passe")
    dialog.get_by_role("button", name="Se reconnecter").click()
    expect(dialog).to_contain_text("mot de passe incorrect")
    assert redemption_count(live_server) == 0
    dialog.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    dialog.get_by_role("button", name="Se reconnecter").click()
    expect(dialog).to_be_hidden()

    expect_verdict(scanner, "ok", "ok", f"Encaissé : {booklet['serials'][0]}")
    expect(scanner.locator("#verdict")).to_contain_text("Atelier tablette")
    assert live_lines(live_server, booklet["serials"][0])[0][1] == workshop_id
    expect(scanner.get_by_label("Atelier")).to_have_value(str(workshop_id))
    assert scanner.url.endswith("/scan")
    assert "bad" not in scanner.evaluate("() => window.verdictStates")

    # the new session works on (its CSRF token included): the next chèque goes straight
    type_code(scanner, booklet["codes"][1])
    expect_verdict(scanner, "ok", "ok", f"Encaissé : {booklet['serials'][1]}")


def test_logged_out_session_stays_dead_for_the_scanner(
    scanner: Page, live_server: LiveServer
) -> None:
    """Item 1: logging in again is a full login; the old cookie is refused by the API."""
    end_sessions_on_server(live_server)
    answer = scanner.evaluate(
        "async () => (await fetch('/api/v1/vouchers/check?code=K7M2-9QXP-4TJ6')).status")
    assert answer == 401


def test_rate_limit_network_failure_and_server_error_are_not_refusals(
    scanner: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    """Item 2: a 429, a network failure and a 5xx show "Non vérifié", in a neutral state
    that says what to do; the scan is kept and goes through once the server answers."""
    browser_errors.allow(r"status of (429|503) ")
    browser_errors.allow(r"net::ERR_FAILED")
    booklet = new_booklet(live_server)
    pick_workshop(scanner, None)
    scanner.evaluate(RECORD_STATES)
    answers = [
        ("rate_limited", "trop de vérifications",
         lambda route: route.fulfill(
             status=429, content_type="application/json", headers={"Retry-After": "30"},
             body='{"error": {"code": "rate_limited", "message": '
                  '"Trop de vérifications de chèques : réessayez dans un moment."}}')),
        ("network_error", "réseau",
         lambda route: route.abort("failed")),
        ("server_error", "erreur 503",
         lambda route: route.fulfill(status=503, content_type="text/html",
                                     body="<h1>Service Unavailable</h1>")),
    ]
    rows = scanner.locator("#queue-list li")
    for index, (code, text, answer) in enumerate(answers):
        scanner.route(CHECK_API, answer)
        scanner.route("**/api/v1/redemptions", answer)
        type_code(scanner, booklet["codes"][index])
        expect_verdict(scanner, "unverified", code, "Non vérifié")
        expect(scanner.locator("#verdict")).to_contain_text(text)
        expect(scanner.locator("#verdict")).to_contain_text("gardé sur ce téléphone")
        expect(scanner.locator("#verdict")).not_to_have_css("background-color",
                                                             "rgb(164, 22, 26)")
        expect(rows).to_have_count(index + 1)
        expect(rows.nth(index)).to_have_attribute("data-state", "waiting")
        scanner.unroute(CHECK_API)
        scanner.unroute("**/api/v1/redemptions")
        assert redemption_count(live_server) == 0
        if index < len(answers) - 1:
            # keep the queue from leaving while the next failure is set up
            scanner.route("**/api/v1/redemptions", lambda route: route.abort("failed"))

    assert "bad" not in scanner.evaluate("() => window.verdictStates")
    # the server answers again: every kept scan is redeemed, none is lost
    for index in range(len(answers)):
        expect(rows.nth(index)).to_have_attribute("data-state", "ok", timeout=20_000)
    for serial in booklet["serials"][: len(answers)]:
        assert len(live_lines(live_server, serial)) == 1


def test_mistyped_codes_are_caught_on_the_phone_online_and_offline(
    scanner: Page, live_server: LiveServer
) -> None:
    """Item 3: a wrong check character says "Code mal saisi" at once; nothing is sent or
    queued, online or offline; the typed text stays in the field to be corrected."""
    booklet = new_booklet(live_server)
    good = booklet["codes"][0]
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert not codes.is_valid_check(wrong)
    sent = requests_to(scanner, "/api/v1/")
    pick_workshop(scanner, None)
    field = scanner.get_by_label("Code du chèque")
    for offline in (False, True):
        scanner.context.set_offline(offline)
        for typed in (codes.group(wrong), good[:-2], good + "7"):
            type_code(scanner, typed)
            expect_verdict(scanner, "mistyped", "mistyped_code", "Code mal saisi")
            expect(field).to_have_value(typed)
            expect(field).to_be_focused()
    scanner.context.set_offline(False)
    assert sent == []
    expect(scanner.locator("#queue")).to_be_hidden()
    assert redemption_count(live_server) == 0

    type_code(scanner, codes.group(good).lower())
    expect_verdict(scanner, "ok", "ok", "Encaissé")


def test_check_character_in_the_browser_agrees_with_python(
    scanner: Page, live_server: LiveServer
) -> None:
    """Item 3: the scanner's JavaScript and passnum.core.codes agree on many codes:
    new codes, one symbol changed, two neighbours swapped, aliases, bad lengths."""
    rng = random.Random(16)
    typed: list[str] = []
    for _ in range(400):
        code = codes.new_manual_code()
        chars = list(code)
        at = rng.randrange(len(chars))
        changed = chars.copy()
        changed[at] = rng.choice([c for c in codes.ALPHABET if c != chars[at]])
        swapped = chars.copy()
        swapped[at % 11], swapped[at % 11 + 1] = swapped[at % 11 + 1], swapped[at % 11]
        typed += [code, codes.group(code).lower(), "".join(changed), "".join(swapped),
                  code.replace("0", "O").replace("1", "l"), code[:-1], code + "A",
                  " ".join(codes.group(code).split("-"))]
    typed += ["", "----", "K7M2-9QXP-4TJ?", "É" * 12]

    def python_says(text: str) -> bool:
        try:
            codes.parse_manual_code(text)
        except codes.MalformedCode:
            return False
        return True

    with live_server.app.test_request_context():
        module = url_for("static", filename="js/scanner/codes.js")
    browser_says = scanner.evaluate(
        "async ([url, typed]) => { const m = await import(url);"
        " return typed.map((t) => m.isWellFormedManualCode(t)); }", [module, typed])
    expected = [python_says(t) for t in typed]
    assert sum(expected) > 1000 and sum(expected) < len(typed)
    assert browser_says == expected


def test_empty_code_and_rescan_button_before_any_scan(
    scanner: Page, live_server: LiveServer
) -> None:
    """Item 14 (scanner): "Scanner à nouveau" waits for a first scan; an empty code says
    what to type instead of doing nothing."""
    rescan = scanner.get_by_role("button", name="Scanner à nouveau")
    expect(rescan).to_be_hidden()
    type_code(scanner, "   ")
    expect_verdict(scanner, "mistyped", "missing_code", "Saisissez le code du chèque")
    expect(scanner.get_by_label("Code du chèque")).to_be_focused()
    booklet = new_booklet(live_server)
    type_code(scanner, booklet["codes"][0])
    expect_verdict(scanner, "ok", "ok", "Encaissé")
    expect(rescan).to_be_visible()


def test_without_a_camera_the_code_field_is_on_screen_and_focused(
    scanner: Page, live_server: LiveServer
) -> None:
    """Item 14 (scanner): on a phone without a camera the code field comes into view
    at the top of the scanner and takes the focus, without a tap."""
    expect(scanner.locator("#camera-status")).to_contain_text("saisissez le code du chèque")
    field = scanner.get_by_label("Code du chèque")
    expect(field).to_be_focused()
    expect(field).to_be_in_viewport()
    box = field.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    booklet = new_booklet(live_server)
    scanner.keyboard.type(booklet["codes"][0])
    scanner.keyboard.press("Enter")
    expect_verdict(scanner, "ok", "ok", "Encaissé")

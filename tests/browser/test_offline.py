"""The scanner without network: scans wait on the phone, then leave with their own keys.

Playwright's offline mode cuts the page and its service worker from the server; the
scanner must still load (service worker cache), queue what is scanned (IndexedDB), and
send it all once back online, each request with the Idempotency-Key it got when scanned.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from passnum.auth.models import User
from passnum.core.codes import group
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.redemptions.models import Redemption
from passnum.redemptions.services import redeem, undo
from tests.browser.conftest import BrowserErrors, LiveServer
from tests.browser.test_scanner import (
    AGENT,
    API_REFUSALS,
    PHONE,
    log_in_and_scan,
    new_booklet,
    pick_workshop,
    served_db,
    type_code,
)

pytestmark = pytest.mark.browser

OTHER_AGENT = "venue92@demo.passnum.fr"
OTHER_VENUE = "Médiathèque Pierre et Marie Curie"


def redeem_elsewhere(live_server: LiveServer, code: str) -> None:
    """Another venue's device takes the voucher (straight through the service)."""
    with served_db(live_server):
        agent = db.session.scalar(select(User).where(User.email == OTHER_AGENT))
        with unit_of_work():
            redeem([code], venue=agent.venue, workshop=None, actor=agent, channel="test")


def redemptions(live_server: LiveServer) -> list[tuple[int, int]]:
    """(id, actor id) of every redemption, oldest first."""
    with served_db(live_server):
        return [tuple(row) for row in db.session.execute(
            select(Redemption.id, Redemption.actor_id).order_by(Redemption.id))]


def count_redemptions(live_server: LiveServer) -> int:
    """How many redemptions the database holds."""
    with served_db(live_server):
        return db.session.scalar(select(func.count()).select_from(Redemption))


def wait_for_service_worker(page: Page) -> None:
    """Wait until the scanner's service worker is active (its cache is filled by then)."""
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope.endswith("/scan"), scope


def test_offline_scans_queue_then_flush_with_their_own_keys(
    page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    """DONE 3: offline, two scans wait; online, first is redeemed, second already was."""
    browser_errors.allow(API_REFUSALS)
    page.set_viewport_size(PHONE)
    booklet = new_booklet(live_server)
    valid, taken = booklet["codes"][:2]
    log_in_and_scan(page)
    pick_workshop(page, None)
    wait_for_service_worker(page)
    assert page.evaluate("async () => (await caches.keys())"
                         ".filter(n => n.startsWith('passnum-scan-')).length") == 1

    page.context.set_offline(True)
    expect(page.get_by_text("Hors ligne : les chèques scannés")).to_be_visible()
    redeem_elsewhere(live_server, taken)
    before = redemptions(live_server)
    type_code(page, valid)
    expect(page.locator("#verdict")).to_have_attribute("data-state", "unverified")
    type_code(page, taken)
    expect(page.get_by_role("heading", name="En attente de réseau (2)")).to_be_visible()
    rows = page.locator("#queue-list li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-state", "waiting")
    expect(rows.nth(0)).to_contain_text(group(valid))
    expect(rows.nth(1)).to_contain_text(group(taken))
    key = rows.nth(0).get_attribute("data-key")

    # Still offline, the page comes back from the service worker, queue and all.
    response = page.reload()
    assert response is not None and response.ok and response.from_service_worker
    expect(page.locator("h1")).to_have_text("Scanner les chèques")
    expect(page.get_by_role("heading", name="En attente de réseau (2)")).to_be_visible()
    assert redemptions(live_server) == before

    page.context.set_offline(False)
    expect(rows.nth(0)).to_have_attribute("data-state", "ok")
    expect(rows.nth(0)).to_contain_text(f"Encaissé : {booklet['serials'][0]}, 10,00\u00a0€")
    expect(rows.nth(1)).to_have_attribute("data-state", "bad")
    expect(rows.nth(1)).to_have_attribute("data-code", "already_redeemed")
    expect(rows.nth(1)).to_contain_text("déjà encaissé le ")
    expect(rows.nth(1)).to_contain_text(OTHER_VENUE)
    expect(page.get_by_role("heading", name="Scans envoyés au retour du réseau")).to_be_visible()
    after = redemptions(live_server)
    assert len(after) == len(before) + 1
    new_id = after[-1][0]

    # The first scan's request sent again with its key: the first answer, nothing more.
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    again = page.request.post(
        "/api/v1/redemptions", data={"codes": [valid], "workshop_id": None},
        headers={"Idempotency-Key": key, "X-CSRFToken": csrf})
    assert again.status == 201, again.text()
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == new_id
    assert redemptions(live_server) == after
    assert count_redemptions(live_server) == len(after)

    # Logging out forgets the cached page (it names the account). On a phone the log-out
    # button is in the folded menu.
    page.get_by_text("Menu", exact=True).click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté(e).")).to_be_visible()
    assert page.evaluate("async () => (await caches.keys())"
                         ".filter(n => n.startsWith('passnum-scan-'))") == []


def test_server_errors_and_rate_limits_keep_scans_queued(
    page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    """A 503 from a proxy or a 429 settles nothing: the scan waits for the next round."""
    browser_errors.allow(r"status of (503|429) ")
    page.set_viewport_size(PHONE)
    booklet = new_booklet(live_server)
    log_in_and_scan(page)
    pick_workshop(page, None)
    page.context.set_offline(True)
    type_code(page, booklet["codes"][0])
    row = page.locator("#queue-list li")
    expect(row).to_have_attribute("data-state", "waiting")

    answers = [
        {"status": 503, "content_type": "text/html", "body": "<h1>Service Unavailable</h1>"},
        {"status": 429, "content_type": "application/json",
         "body": '{"error": {"code": "rate_limited", "message": "Trop de tentatives."}}'},
    ]
    for answer in answers:
        page.route("**/api/v1/redemptions",
                   lambda route, _request, a=answer: route.fulfill(**a))
        page.context.set_offline(False)  # back online: the queue is sent at once
        expect(row).to_contain_text(f"erreur {answer['status']}" if answer["status"] == 503
                                    else "Trop de tentatives")
        expect(row).to_have_attribute("data-state", "waiting")
        expect(page.get_by_role("heading", name="En attente de réseau (1)")).to_be_visible()
        page.unroute("**/api/v1/redemptions")
        page.context.set_offline(True)
    assert count_redemptions(live_server) == 0

    page.context.set_offline(False)
    expect(row).to_have_attribute("data-state", "ok")
    assert count_redemptions(live_server) == 1


def test_a_queued_scan_whose_redemption_was_undone_is_shown_refused(
    page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    """The answer to a queued scan was lost, its redemption undone meanwhile: the retry's
    409 ``redemption_undone`` settles the item as refused, saying so (not "encaissé")."""
    browser_errors.allow(API_REFUSALS)
    page.set_viewport_size(PHONE)
    booklet = new_booklet(live_server)
    code = booklet["codes"][0]
    log_in_and_scan(page)
    pick_workshop(page, None)
    page.context.set_offline(True)
    type_code(page, code)
    row = page.locator("#queue-list li")
    expect(row).to_have_attribute("data-state", "waiting")
    key = row.get_attribute("data-key")
    with served_db(live_server):  # the first send got through, then was undone
        agent = db.session.scalar(select(User).where(User.email == AGENT))
        with unit_of_work():
            taken = redeem([code], venue=agent.venue, workshop=None, actor=agent,
                           channel="test", idempotency_key=key)
        with unit_of_work():
            undo(taken.id, actor=agent)

    page.context.set_offline(False)
    expect(row).to_have_attribute("data-state", "bad")
    expect(row).to_have_attribute("data-code", "redemption_undone")
    expect(row).to_contain_text("Refusé : Cet encaissement a été annulé le ")
    expect(page.get_by_role("heading", name="Scans envoyés au retour du réseau")).to_be_visible()
    assert count_redemptions(live_server) == 1

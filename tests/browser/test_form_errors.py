"""Forms sent back with errors, as a phone shows them: the summary comes first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from passnum.sample.demo import DEMO_PASSWORD
from tests.browser.conftest import BrowserErrors, LiveServer, log_in_page
from tests.browser.test_venue_label_journey import fill_application

pytestmark = pytest.mark.browser


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": 360, "height": 740}


def test_the_error_summary_takes_the_focus_and_links_to_each_field(
    page: Page, browser_errors: BrowserErrors,
) -> None:
    browser_errors.allow(r"status of (400|422) .*/lieux/candidature")
    page.goto("/lieux/candidature")
    fill_application(page, siret="732 829 320 00075", iban="FR76 3000 6000 0112 3456 7890 188")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary.get_by_role("heading")).to_have_text("Le formulaire contient 2 erreurs")
    summary.get_by_role("link", name="IBAN du compte à créditer").click()
    expect(page.locator("#iban")).to_be_focused()
    expect(page.locator("#iban")).to_have_value("FR76 3000 6000 0112 3456 7890 188")
    expect(page.get_by_label("Commune")).to_have_value("78172")  # Conflans-Sainte-Honorine
    expect(page.get_by_label("Mot de passe")).to_have_value("")


def test_an_expired_form_comes_back_filled_in_after_logging_in_again(
    page: Page, live_server: LiveServer, browser_errors: BrowserErrors,
) -> None:
    """The session ends while a person is being recorded: sending the form leads to the
    login page, then back to the form with everything typed (nothing kept on the server,
    nothing in the cookie)."""
    browser_errors.allow(r"status of 400 .*/beneficiaires/nouveau")
    log_in_page(page, live_server, "issuer78@demo.passnum.fr")
    page.goto("/beneficiaires/nouveau")
    page.locator("#last_name").fill("Lefèvre")
    page.locator("#first_name").fill("Anne-Marie")
    page.locator("#birth_date").fill("1948-03-14")
    page.locator("#postal_code").fill("78500")
    page.locator("#need").fill("Envoyer des photos à ses petits-enfants")
    page.locator("#consent").check()
    page.context.clear_cookies()  # the session is gone (idle timeout, browser restarted…)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page).to_have_url(re.compile(r"/connexion\?next="))
    for cookie in page.context.cookies():
        assert "Lef" not in cookie["value"] and "photos" not in cookie["value"]
    page.get_by_label("Adresse e-mail").fill("issuer78@demo.passnum.fr")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/beneficiaires/nouveau"))
    expect(page.locator("#last_name")).to_have_value("Lefèvre")
    expect(page.locator("#first_name")).to_have_value("Anne-Marie")
    expect(page.locator("#birth_date")).to_have_value("1948-03-14")
    expect(page.locator("#need")).to_have_value(
        "Envoyer des photos à ses petits-enfants")
    expect(page.locator("#consent")).to_be_checked()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_have_text("Bénéficiaire enregistré(e).")
    # what was kept in the tab is gone once used (the page's deferred script drops it)
    page.wait_for_function(
        "() => !Object.keys(sessionStorage).some(k => k.startsWith('passnum'))")

"""Forms sent back with errors, as a phone shows them: the summary comes first."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserErrors
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
    expect(page.get_by_label("Commune")).to_have_value("Conflans-Sainte-Honorine")
    expect(page.get_by_label("Mot de passe")).to_have_value("")

"""The venue's public profile on a 360 px phone: the agent fills the form (checkbox
groups, opening hours), a mistake comes back in French, the proposal waits; the
manager publishes it. axe-core checks every page loaded (the ``page`` fixture)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserErrors, LiveServer, log_in_page

pytestmark = pytest.mark.browser

AGENT = "venue78@demo.passnum.fr"
MANAGER = "manager78@demo.passnum.fr"
WIDTH = 360


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": WIDTH, "height": 740}


def fits_the_screen(page: Page) -> None:
    """Nothing wider than the phone: no sideways scrolling of the page."""
    scroll, client = page.evaluate("() => [document.documentElement.scrollWidth,"
                                   " document.documentElement.clientWidth]")
    wide = page.evaluate("""() => Array.from(document.querySelectorAll('main *'))
      .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 8).map(el => el.tagName + '.' + el.className + ' ' + Math.round(
        el.getBoundingClientRect().right) + ' ' + (el.textContent || '').trim().slice(0, 30))""")
    assert scroll <= client, f"{page.url}: {scroll} px wide on a {client} px screen: {wide}"


def test_the_agent_proposes_on_a_phone_and_the_manager_publishes(
    page: Page, live_server: LiveServer, browser_errors: BrowserErrors,
) -> None:
    browser_errors.allow(r"status of 400 .*/mon-lieu/fiche")
    log_in_page(page, live_server, AGENT)
    page.goto("/mon-lieu")
    page.get_by_role("link", name="Modifier la fiche publique").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Modifier la fiche publique")
    fits_the_screen(page)
    # the demo's profile is there to edit
    expect(page.get_by_label("Horaires d'ouverture")).to_have_value(
        "Tu-Fr 10:00-12:30,14:00-18:00; Sa 10:00-17:00; PH off")
    services = page.get_by_role("group", name="Services proposés")
    expect(services.get_by_label("Aide aux démarches administratives")).to_be_checked()
    # a mistake: the opening hours in words, refused in French, the rest kept
    page.get_by_label("Horaires d'ouverture").fill("du mardi au samedi")
    services.get_by_label("Utilisation sécurisée du numérique").check()
    page.get_by_label("Présentation courte").fill("Ateliers et accès libre, tout public.")
    page.get_by_role("button", name="Envoyer pour vérification").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("format OpenStreetMap")
    expect(services.get_by_label("Utilisation sécurisée du numérique")).to_be_checked()
    fits_the_screen(page)
    page.get_by_label("Horaires d'ouverture").fill("Tu-Sa 10:00-18:00; PH off")
    page.get_by_role("button", name="Envoyer pour vérification").click()
    expect(page.get_by_text("le gestionnaire du département les vérifie")).to_be_visible()
    expect(page.get_by_text("en attente de vérification")).to_be_visible()
    # the public directory still shows the published profile
    page.goto("/lieux")
    expect(page.get_by_text("Ateliers et accès libre, tout public.")).to_have_count(0)
    # the manager compares and publishes
    page.context.clear_cookies()
    log_in_page(page, live_server, MANAGER)
    page.goto("/lieux/gestion")
    page.get_by_role("link", name="Médiathèque de Sartrouville").first.click()
    table = page.get_by_role("table", name="Modifications proposées, à côté des valeurs publiées")
    expect(table).to_contain_text("Tu-Sa 10:00-18:00; PH off")
    expect(table).to_contain_text("Utilisation sécurisée du numérique")
    fits_the_screen(page)
    page.get_by_role("button", name="Publier les modifications").click()
    expect(page.get_by_text("Fiche publique publiée")).to_be_visible()
    page.goto("/lieux")
    expect(page.get_by_text("Ateliers et accès libre, tout public.")).to_be_visible()


def test_the_checkboxes_work_with_the_keyboard(
    page: Page, live_server: LiveServer,
) -> None:
    log_in_page(page, live_server, AGENT)
    page.goto("/mon-lieu/fiche")
    box = page.get_by_role("group", name="Publics spécifiquement accueillis").get_by_label(
        "Étudiants")
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    for field in ("Latitude", "Longitude"):
        expect(page.get_by_label(field, exact=False).first).to_be_editable()

"""A venue applies, is approved, redeems, is suspended (refused), is reactivated (redeems).

Two windows side by side, as in real life: the venue agent's phone with the scanner
open, and the DGAS manager's desk.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from passnum.auth.models import User
from passnum.extensions import db
from passnum.venues.models import LabelStatus, Venue
from tests.browser.conftest import ACTION_TIMEOUT_MS, BrowserErrors, LiveServer, log_in_page
from tests.browser.test_scanner import (
    API_REFUSALS,
    PHONE,
    expect_verdict,
    new_booklet,
    served_db,
    type_code,
)

pytestmark = pytest.mark.browser

MANAGER = "manager78@demo.passnum.fr"
VENUE = "Tiers-lieu numérique de Conflans"
APPLICANT = "responsable@tiers-lieu.example.org"
APPLICANT_PASSWORD = "une-phrase-de-passe-solide"
SIRET = "732 829 320 00074"
DEMO_SIRET = "21785260781597"  # the demo Médiathèque de Sartrouville's
IBAN = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture
def manager_page(browser: Browser, live_server: LiveServer,
                 browser_errors: BrowserErrors) -> Iterator[Page]:
    """A second window, the manager's, logged in."""
    context: BrowserContext = browser.new_context(
        base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda m: browser_errors.seen.append(
        f"console error: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: browser_errors.seen.append(f"page error: {exc}"))
    log_in_page(page, live_server, MANAGER)
    yield page
    context.close()


def fill_application(page: Page, *, siret: str, iban: str) -> None:
    """Fill in the whole application form and send it."""
    page.get_by_label("Nom du lieu", exact=True).fill(VENUE)
    page.get_by_label("Adresse", exact=True).fill("5 quai de la République")
    page.get_by_label("Code postal").fill("78700")
    # one commune for 78700: communes.js fills the list and chooses it
    expect(page.get_by_label("Commune")).to_have_value("78172")
    page.get_by_label("Département").select_option(label="Yvelines (78)")
    page.get_by_label("Téléphone du lieu (facultatif)").fill("01 39 19 00 00")
    page.get_by_label("Maîtrise des outils numériques du quotidien").check()
    page.get_by_label("Aide aux démarches administratives").check()
    page.get_by_label("Présentation courte du lieu").fill(
        "Ateliers smartphone et démarches en ligne.")
    page.get_by_label("Numéro SIRET").fill(siret)
    page.get_by_label("Représentant légal").fill("Sam Leroy, président")
    page.get_by_label("IBAN du compte à créditer").fill(iban)
    page.get_by_label("Vos nom et prénom").fill("Sam Leroy")
    page.get_by_label("Votre adresse e-mail").fill(APPLICANT)
    page.get_by_label("Mot de passe").fill(APPLICANT_PASSWORD)
    page.get_by_label("J'ai lu la charte").check()
    page.get_by_role("button", name="Envoyer la candidature").click()


def field_error(page: Page, field_id: str):
    """The error shown under a form field."""
    return page.locator(f"#{field_id}-err")


def apply_through_the_form(page: Page) -> None:
    """Anonymous: from the public directory to a sent application, via three refusals."""
    page.goto("/lieux")
    page.get_by_role("link", name="Devenir lieu labellisé").first.click()
    expect(page.get_by_role("heading", name="Charte des lieux labellisés")).to_be_visible()
    fill_application(page, siret="732 829 320 00075", iban="FR76 3000 6000 0112 3456 7890 188")
    expect(field_error(page, "siret")).to_contain_text("clé de contrôle est fausse")
    expect(field_error(page, "iban")).to_contain_text("clé de contrôle ne correspond pas")
    fill_application(page, siret=SIRET, iban="FR76 3000 6000 0112 3456 7890")
    expect(field_error(page, "iban")).to_contain_text("Un IBAN FR compte 27 caractères")
    fill_application(page, siret=DEMO_SIRET, iban=IBAN)
    expect(field_error(page, "siret")).to_contain_text("déjà celui d'un lieu inscrit")
    fill_application(page, siret=SIRET, iban=IBAN)
    expect(page.get_by_role("heading", name="Candidature envoyée")).to_be_visible()


def decide(manager: Page, action: str, reason: str, expected: str) -> None:
    """The manager takes a decision on the new venue's page."""
    manager.goto("/lieux/gestion")
    manager.get_by_role("link", name=VENUE).click()
    form = manager.locator("form.label-decision", has_text=action)
    form.get_by_label("Motif (affiché au lieu)").fill(reason)
    form.get_by_role("button", name=action).click()
    if action in ("Suspendre le label", "Retirer le label définitivement"):  # asked first
        manager.get_by_role("button", name=action).click()
    expect(manager.get_by_text(f"Décision enregistrée : label « {expected} »")).to_be_visible()


def test_apply_approve_redeem_suspend_refuse_reactivate_redeem(
    page: Page, manager_page: Page, live_server: LiveServer, browser_errors: BrowserErrors
) -> None:
    """DONE: the label decides, redemption by redemption, whether the venue may redeem."""
    browser_errors.allow(API_REFUSALS)
    browser_errors.allow(r"status of (409|422) .*/lieux/candidature")  # refused forms
    apply_through_the_form(page)

    # the manager sees the applications first in the list (the demo has one too)
    manager_page.goto("/lieux/gestion")
    rows = manager_page.locator("table.venues tbody tr")
    expect(rows.filter(has_text=VENUE)).to_contain_text("En attente")
    expect(rows.nth(0)).to_contain_text("En attente")
    expect(rows.nth(1)).to_contain_text("En attente")
    expect(rows.nth(2)).to_contain_text("Actif")
    decide(manager_page, "Approuver le label", "Dossier complet, services conformes.", "Actif")

    # the applicant logs in: their venue's page says so, with the reason
    page.get_by_role("link", name="Se connecter une fois le label accordé").click()
    page.get_by_label("Adresse e-mail").fill(APPLICANT)
    page.get_by_label("Mot de passe").fill(APPLICANT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url("/mon-lieu")
    expect(page.locator(".label-status")).to_contain_text("Label : Actif")
    expect(page.locator(".label-status")).to_contain_text("Dossier complet, services conformes.")

    # …and redeems a voucher on the scanner, on a phone
    booklet = new_booklet(live_server)
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="Ouvrir le scanner").click()
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "true")
    type_code(page, booklet["codes"][0])
    expect_verdict(page, "ok", "ok", f"Encaissé : {booklet['serials'][0]}")

    # suspended while the scanner is open: the next voucher is refused
    decide(manager_page, "Suspendre le label", "Ateliers annoncés non tenus.", "Suspendu")
    type_code(page, booklet["codes"][1])
    expect_verdict(page, "bad", "venue_not_active", "Le label de ce lieu n'est pas actif")
    page.goto("/mon-lieu")
    expect(page.locator(".label-status")).to_contain_text("Label : Suspendu")
    expect(page.locator(".label-status")).to_contain_text("Ateliers annoncés non tenus.")

    # reactivated: redeeming works again
    decide(manager_page, "Réactiver le label", "Situation régularisée.", "Actif")
    page.goto("/scan")
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "true")
    type_code(page, booklet["codes"][1])
    expect_verdict(page, "ok", "ok", f"Encaissé : {booklet['serials'][1]}")

    with served_db(live_server):
        venue = db.session.scalar(select(Venue).where(Venue.name == VENUE))
        assert venue.label_status == LabelStatus.ACTIVE and venue.siret == "73282932000074"
        lead = db.session.scalar(select(User).where(User.email == APPLICANT))
        assert lead.is_venue_lead and lead.venue_id == venue.id
    history = manager_page.locator("table.label-history tbody tr")
    expect(history).to_have_count(3)
    expect(history.first).to_contain_text("Situation régularisée.")

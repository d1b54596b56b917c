"""A manager imports venues on a phone: the dry run's table, then the import; axe-core
checks each page as it loads (the ``page`` fixture)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from passnum.extensions import db
from passnum.venues.models import Venue
from tests.browser.conftest import LiveServer
from tests.venues.import_files import as_csv, venue_row

pytestmark = pytest.mark.browser

WIDTH = 360


@pytest.fixture
def viewport() -> dict[str, int]:
    """A 360 px phone."""
    return {"width": WIDTH, "height": 740}


def imported(live_server: LiveServer) -> int:
    with live_server.app_context():
        return db.session.scalar(select(func.count(Venue.id))
                                 .where(Venue.import_ref.is_not(None)))


def width(page: Page) -> int:
    """The page's width once it is laid out with its style sheet (the status shows as
    soon as the HTML is read)."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_manager_checks_then_imports_a_file_on_a_phone(page: Page, live_server: LiveServer,
                                                         log_in, tmp_path):
    rows = [venue_row(n) for n in range(1, 9)]
    rows[2]["horaires"] = "tous les jours"
    rows[5]["services"] = "Cours de cuisine"
    path = tmp_path / "lieux.csv"
    path.write_bytes(as_csv(rows))
    log_in("manager78@demo.passnum.fr")
    page.goto("/lieux/gestion")
    page.get_by_role("link", name="Importer des lieux depuis un fichier").click()
    page.get_by_label("Fichier des lieux (CSV ou JSON)").set_input_files(path)
    page.get_by_role("button", name="Vérifier (essai à blanc)").click()
    expect(page.get_by_role("status")).to_have_text(
        "6 lieux seraient créés, 2 lignes refusées.")
    expect(page.get_by_text("valeur inconnue « Cours de cuisine »")).to_be_visible()
    assert width(page) <= WIDTH
    assert imported(live_server) == 0
    page.get_by_role("button", name="Importer", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("6 lieux créés, 2 lignes refusées.")
    assert width(page) <= WIDTH
    assert imported(live_server) == 6
    page.get_by_role("link", name="Espace numérique n° 1").click()
    expect(page.get_by_text("Dossier incomplet")).to_be_visible()
    page.get_by_label("Numéro SIRET (14 chiffres)").fill("732 829 320 00074")
    page.get_by_label("Représentant légal (nom et qualité)").fill("Jeanne Martin, présidente")
    page.get_by_label("IBAN du compte à créditer").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label("Le lieu a signé la charte des lieux labellisés.").check()
    page.get_by_role("button", name="Enregistrer le dossier").click()
    expect(page.get_by_text("Dossier complété.")).to_be_visible()
    expect(page.get_by_text("Dossier incomplet")).to_have_count(0)
    assert width(page) <= WIDTH

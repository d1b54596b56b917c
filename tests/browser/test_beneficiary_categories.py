"""Recording a person on a 360 px phone with the reporting categories: the commune
list follows the typed postal code (static/js/communes.js), the programme's priority
publics are a checklist, and the record page shows the labels (axe-core checks every
page on load)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from passnum.beneficiaries.models import Beneficiary
from passnum.extensions import db
from tests.browser.conftest import LiveServer, log_in_page

pytestmark = pytest.mark.browser
PHONE_WIDTH = 360


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": PHONE_WIDTH, "height": 740}


def _fits(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_record_a_person_with_every_category_on_a_phone(page: Page,
                                                         live_server: LiveServer) -> None:
    log_in_page(page, live_server, "issuer78@demo.passnum.fr")
    page.goto("/beneficiaires/nouveau")
    expect(page.locator("h1")).to_have_text("Nouveau bénéficiaire")
    page.get_by_label("Nom", exact=True).fill("Lefèvre")
    page.get_by_label("Prénom", exact=True).fill("Anne-Marie")
    page.get_by_label("Date de naissance", exact=True).fill("2003-03-14")
    page.get_by_label("Code postal", exact=True).fill("78120")
    commune = page.get_by_label("Commune", exact=True)
    expect(commune.locator("option")).to_have_count(4)  # the placeholder and 3 communes
    expect(page.locator("#commune-status")).to_have_text(
        "3 communes pour ce code postal : choisissez la vôtre.")
    commune.select_option(label="Rambouillet")
    page.get_by_label("Genre (facultatif)").select_option(label="féminin")
    page.get_by_label("Statut social (facultatif)").select_option(label="sans emploi")
    page.get_by_label("Habite un quartier prioritaire").select_option(label="ne sait pas")
    checklist = page.get_by_role("group", name="Publics prioritaires du programme")
    expect(checklist.get_by_role("checkbox")).to_have_count(3)
    checklist.get_by_label("Jeune sans qualification (16-25 ans)").check()
    page.get_by_label("E-mail (facultatif)").fill("anne-marie@example.org")
    page.get_by_label("La personne accepte de recevoir des messages").check()
    page.get_by_role("group", name="Consentement").get_by_role("checkbox").check()
    _fits(page)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("h1")).to_have_text("LEFÈVRE Anne-Marie")
    facts = page.locator("section", has=page.get_by_role("heading", name="Situation"))
    for text in ("18 à 24 ans", "Rambouillet (78517)", "féminin", "sans emploi", "ne sait pas",
                 "Jeune sans qualification (16-25 ans)"):
        expect(facts).to_contain_text(text)
    expect(page.get_by_text("acceptés le")).to_be_visible()
    _fits(page)
    with live_server.app.app_context():
        person = db.session.scalar(select(Beneficiary).where(Beneficiary.email ==
                                                             "anne-marie@example.org"))
        assert person is not None and person.commune_insee == "78517"
        assert person.messages_consent_at is not None

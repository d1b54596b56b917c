"""The workshop pages on a 360 px phone, with CSRF on: labelled, no sideways scrolling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from passnum.core.clock import now
from passnum.extensions import db
from passnum.venues.models import Workshop
from tests.browser.conftest import LiveServer
from tests.browser.test_layout import ARTIFACTS, PHONE_WIDTH, assert_phone_layout

pytestmark = pytest.mark.browser

AGENT = "venue78@demo.passnum.fr"
# True when no table needs its own sideways scrolling
TABLES_FIT_JS = """() => Array.from(document.querySelectorAll('.table-wrap'))
  .every(w => w.scrollWidth <= w.clientWidth)"""


@pytest.fixture
def viewport() -> dict[str, int]:
    """A small phone held upright."""
    return {"width": PHONE_WIDTH, "height": 740}


def test_agent_schedules_edits_and_cancels_on_a_phone(
    page: Page, live_server: LiveServer, log_in: Callable[..., None]
) -> None:
    """List, form and workshop page fit 360 px; the forms work with their CSRF tokens."""
    year = now().year + 1
    log_in(AGENT)
    page.get_by_text("Menu", exact=True).click()  # on a phone the navigation is folded
    page.get_by_role("link", name="Ateliers", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Ateliers")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workshops-360.png"), full_page=True)
    assert_phone_layout(page)
    assert page.evaluate(TABLES_FIT_JS), "the workshop table scrolls sideways at 360 px"

    page.get_by_role("link", name="Nouvel atelier").click()
    page.screenshot(path=str(ARTIFACTS / "workshop-form-360.png"), full_page=True)
    assert_phone_layout(page)
    page.get_by_label("Thème", exact=True).select_option(index=1)
    page.get_by_label("Titre (facultatif : le thème par défaut)").fill(
        "Découvrir sa messagerie électronique pas à pas, pour les grands débutants")
    page.get_by_label("Date", exact=True).fill(f"{year}-12-05")
    page.get_by_label("Heure de début").fill("09:45")
    page.get_by_label("Durée (en minutes)").fill("120")
    page.get_by_label("Nombre de places").fill("10")
    page.get_by_label("Prix (en chèques par personne)").fill("2")
    page.get_by_role("button", name="Créer l'atelier").click()
    expect(page.get_by_text("Atelier créé.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text(f"05/12/{year} 09:45")
    page.screenshot(path=str(ARTIFACTS / "workshop-360.png"), full_page=True)
    assert_phone_layout(page)

    page.get_by_role("link", name="Modifier l'atelier").click()
    expect(page.get_by_label("Heure de début")).to_have_value("09:45")
    page.get_by_label("Nombre de places").fill("12")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_text("Atelier modifié.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("0 inscrit sur 12")

    page.get_by_label("Motif de l'annulation").fill("Salle indisponible")
    page.get_by_role("button", name="Annuler l'atelier").click()
    expect(page.get_by_role("heading", name="Annuler l'atelier ?")).to_be_visible()
    assert_phone_layout(page)
    page.get_by_role("button", name="Annuler l'atelier").click()  # the confirmation
    expect(page.get_by_text("Atelier annulé.")).to_be_visible()
    assert_phone_layout(page)

    with live_server.app_context():
        workshop = db.session.scalars(
            select(Workshop).where(Workshop.title.like("Découvrir sa messagerie%"))
        ).one()
        assert workshop.starts_at == datetime(year, 12, 5, 8, 45, tzinfo=UTC)
        assert workshop.capacity == 12 and workshop.cancelled_at is not None
        db.session.remove()

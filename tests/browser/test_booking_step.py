"""The first-workshop step on a 360 px phone: radio buttons that work without
JavaScript, an error summary when nothing is chosen, axe-core clean (the ``page``
fixture runs it on every page), then the booking on the person's page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from passnum.auth.models import User
from passnum.beneficiaries.services import create_beneficiary
from passnum.core.clock import now
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.venues.models import LabelStatus, Venue, Workshop, WorkshopBooking, WorkshopTheme
from tests.browser.conftest import BrowserErrors, LiveServer
from tests.browser.test_layout import ARTIFACTS, PHONE_WIDTH, assert_phone_layout

pytestmark = pytest.mark.browser

ISSUER = "issuer78@demo.passnum.fr"
TITLE = "Découvrir les démarches administratives en ligne, pas à pas"


@pytest.fixture
def viewport() -> dict[str, int]:
    """A small phone held upright."""
    return {"width": PHONE_WIDTH, "height": 740}


def _scene(live_server: LiveServer) -> tuple[int, int]:
    """A person of the issuer's structure and a workshop in two days with a long title;
    return their ids."""
    with live_server.app_context(), unit_of_work():
        issuer = db.session.scalar(select(User).where(User.email == ISSUER))
        person = create_beneficiary(issuer, {
            "first_name": "Solange", "last_name": "Marchand", "birth_date": "1951-06-02",
            "postal_code": "78000", "consent": True})
        venue = db.session.scalars(select(Venue).where(
            Venue.label_status == LabelStatus.ACTIVE).order_by(Venue.id)).first()
        workshop = Workshop(venue=venue, theme=db.session.scalars(select(WorkshopTheme)).first(),
                            title=TITLE, duration_minutes=120, capacity=8, price_vouchers=1,
                            starts_at=now() + timedelta(days=2))
        db.session.add(workshop)
        db.session.flush()
        return person.id, workshop.id


def test_issuer_books_the_first_workshop_on_a_phone(
    page: Page, live_server: LiveServer, log_in: Callable[..., None],
    browser_errors: BrowserErrors,
) -> None:
    browser_errors.allow(r"status of 422 .*/atelier")  # the form sent with nothing chosen
    person_id, workshop_id = _scene(live_server)
    log_in(ISSUER)
    page.goto(f"/beneficiaires/{person_id}")
    page.get_by_role("link", name="Réserver un premier atelier").click()
    expect(page.locator("h1")).to_have_text("Premier atelier")
    choices = page.get_by_role("group", name="Ateliers à venir avec des places libres")
    expect(choices.get_by_role("radio")).not_to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "booking-360.png"), full_page=True)
    assert_phone_layout(page)

    page.get_by_role("button", name="Réserver cet atelier").click()  # nothing chosen
    expect(page.get_by_role("alert")).to_contain_text("Choisissez un atelier.")
    assert_phone_layout(page)

    choices.get_by_role("radio", name=TITLE).check()
    page.get_by_role("button", name="Réserver cet atelier").click()
    expect(page.get_by_text("Atelier réservé")).to_be_visible()
    expect(page.get_by_role("region", name="Ateliers réservés")).to_contain_text(TITLE)
    assert_phone_layout(page)
    with live_server.app_context():
        booking = db.session.scalar(select(WorkshopBooking))
        assert (booking.beneficiary_id, booking.workshop_id) == (person_id, workshop_id)

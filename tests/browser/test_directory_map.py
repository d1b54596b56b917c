"""The public directory's map in a browser, on a 360 px phone and on a desktop: one
marker per listed venue (or clusters counting them), the search by postal code sorting
the list by distance, the page without JavaScript, the venue page, and axe-core (run on
every load by the ``page`` fixture) finding nothing. Tiles are answered by the test
(``serve_blank_tiles``): no network."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from passnum.communes.reference import centroid, distance_km
from passnum.core.formatting import distance_fr
from passnum.extensions import db
from passnum.venues.models import LabelStatus, Venue
from passnum.venues.queries import venue_position
from tests.browser.conftest import AXE_RUN, LiveServer, serve_blank_tiles
from tests.browser.test_layout import ARTIFACTS, PHONE_WIDTH, assert_phone_layout

pytestmark = pytest.mark.browser

NANTERRE = "92050"
# the markers Leaflet draws: single venues, and clusters with their count
MARKERS_JS = """() => ({
  single: document.querySelectorAll('.leaflet-marker-icon:not(.marker-cluster)').length,
  clusters: Array.from(document.querySelectorAll('.marker-cluster .map-cluster-count'))
    .map(e => Number(e.textContent))})"""


@pytest.fixture(params=[PHONE_WIDTH, 1280], ids=["phone", "desktop"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """A 360 px phone held upright, and a desktop screen."""
    return {"width": request.param, "height": 800}


VERSAILLES_VENUES = 3  # placed by their commune's centroid: one spot, always a cluster


@pytest.fixture
def profiled(live_server: LiveServer) -> Iterator[None]:
    """The demo's Nanterre venue with opening hours and services for its page (the only
    one helping with procedures), and three venues of Versailles without typed
    coordinates."""
    with live_server.app_context():
        venue = db.session.scalar(select(Venue).where(Venue.slug == "mediatheque-nanterre"))
        venue.opening_hours = "Mo-Sa 09:00-18:00"
        venue.mediation_services = ["demarches", "securite"]
        venue.summary = "Ateliers numériques pour tous."
        # the only one offering help with procedures, for the filter below
        for other in db.session.scalars(select(Venue).where(Venue.id != venue.id)):
            other.mediation_services = [code for code in other.mediation_services
                                        if code != "demarches"]
        for n in range(1, VERSAILLES_VENUES + 1):
            db.session.add(Venue(slug=f"versailles-{n}", name=f"Espace numérique {n}",
                                 departement_id=venue.departement_id, commune="Versailles",
                                 postal_code="78000", commune_insee="78646",
                                 label_status=LabelStatus.ACTIVE))
        db.session.commit()
        db.session.remove()
    yield


def axe_idle(page: Page) -> None:
    """Wait for the page's load and for the axe-core run it started to finish."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.axe && !window.axe._running")


def marker_total(page: Page, *, clusters: bool = False) -> int:
    """Venues on the map: single markers plus the counts of the clusters (at least one
    cluster with ``clusters``)."""
    page.wait_for_selector(".leaflet-marker-icon")
    found = page.evaluate(MARKERS_JS)
    assert not clusters or found["clusters"], found
    return found["single"] + sum(found["clusters"])


def listed(page: Page) -> list[str]:
    """The slugs of the venues listed, in order."""
    return page.locator("article.venue").evaluate_all("els => els.map(e => e.dataset.venue)")


def expected_order(live_server: LiveServer, insee: str) -> list[tuple[str, str]]:
    """Active venues by distance from the commune's centroid, with "à 3,2 km"."""
    origin = centroid(insee)
    assert origin is not None
    with live_server.app_context():
        venues = db.session.scalars(
            select(Venue).where(Venue.label_status == LabelStatus.ACTIVE)).all()
        found = []
        for venue in venues:
            position = venue_position(venue)
            assert position is not None
            found.append((distance_km(origin, position), venue.slug))
        db.session.remove()
    return [(slug, distance_fr(km)) for km, slug in sorted(found)]


def test_the_map_shows_every_listed_venue_and_the_search_sorts(
    page: Page, live_server: LiveServer, viewport: dict[str, int], profiled: None
) -> None:
    page.goto("/lieux")
    expect(page.locator("[data-map-block]")).to_be_visible()
    venues = listed(page)
    assert len(venues) == 4 + VERSAILLES_VENUES  # the demo's active venues and ours
    assert marker_total(page, clusters=True) == len(venues)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"directory-{viewport['width']}.png"), full_page=True)
    if viewport["width"] == PHONE_WIDTH:
        assert_phone_layout(page)

    # the skip link jumps over the map to the list
    page.get_by_role("link", name="Aller à la liste").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#resultats")).to_be_focused()

    page.get_by_label("Commune ou code postal").fill("92000")
    page.get_by_role("button", name="Chercher").click()
    order = expected_order(live_server, NANTERRE)
    assert listed(page) == [slug for slug, _ in order]
    expect(page.locator("article.venue .distance").first).to_have_text(order[0][1])
    assert page.locator("article.venue .distance").all_inner_texts() == [
        text for _, text in order]
    expect(page.locator("#resultats")).to_contain_text("du plus proche au plus loin de Nanterre")
    assert marker_total(page, clusters=True) == 4 + VERSAILLES_VENUES

    # a filter narrows the list and the map alike
    page.get_by_label("Service").select_option(label="Aide aux démarches administratives")
    page.get_by_role("button", name="Chercher").click()
    assert listed(page) == ["mediatheque-nanterre"]
    assert marker_total(page) == 1
    # with the keyboard: Enter on the marker opens its popup on its link, Escape closes it
    marker = page.get_by_role("button", name="Médiathèque Pierre et Marie Curie")
    marker.focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content a")
    expect(popup).to_have_text("Médiathèque Pierre et Marie Curie")
    expect(popup).to_be_focused()
    expect(page.get_by_role("button", name="Fermer")).to_be_visible()
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)
    expect(marker).to_be_focused()
    marker.click()
    popup.click()
    expect(page).to_have_url(re.compile(r"/lieu/mediatheque-nanterre$"))
    axe_idle(page)


def test_the_venue_page(page: Page, viewport: dict[str, int], profiled: None) -> None:
    page.goto("/lieux")
    page.get_by_role("link", name="Médiathèque Pierre et Marie Curie").click()
    expect(page.locator("h1")).to_contain_text("Médiathèque Pierre et Marie Curie")
    expect(page.locator(".opening-week tbody tr")).to_have_count(7)
    expect(page.get_by_text("Aide aux démarches administratives")).to_be_visible()
    assert marker_total(page) == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"venue-page-{viewport['width']}.png"), full_page=True)
    expect(page.locator(".leaflet-control-attribution a", has_text="OpenStreetMap")) \
        .to_have_attribute("href", "https://www.openstreetmap.org/copyright")
    if viewport["width"] == PHONE_WIDTH:
        assert_phone_layout(page)
    axe_idle(page)
    assert page.evaluate(AXE_RUN) == []  # with the map drawn: its controls and markers


def test_without_javascript_the_list_and_the_search_work(
    browser: Browser, live_server: LiveServer, viewport: dict[str, int]
) -> None:
    context = browser.new_context(base_url=live_server.url, viewport=viewport,
                                  java_script_enabled=False, locale="fr-FR")
    serve_blank_tiles(context, live_server.app)
    page = context.new_page()
    try:
        page.goto("/lieux")
        expect(page.locator("[data-map-block]")).to_be_hidden()
        assert len(listed(page)) == 4
        page.get_by_label("Commune ou code postal").fill("Nanterre")
        page.get_by_role("button", name="Chercher").click()
        assert listed(page) == [slug for slug, _ in expected_order(live_server, NANTERRE)]
        page.get_by_label("Commune ou code postal").fill("Bois-d'Arcy")
        page.get_by_role("button", name="Chercher").click()
        page.get_by_role("link", name="Bois-d'Arcy (78390)").click()
        expect(page.locator("#resultats")).to_contain_text("de Bois-d'Arcy")
        if viewport["width"] == PHONE_WIDTH:
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE_WIDTH
    finally:
        context.close()

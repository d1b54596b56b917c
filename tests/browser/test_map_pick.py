"""``static/js/map-pick.js`` in a browser: a click on the small map fills a venue's
latitude and longitude, typing in them moves the marker.

The form is a page the browser itself is given, built from the ``map_pick_head`` and
``map_pick_block`` macros (``templates/venues/_map.html``) that the venue profile form
uses; the scripts and Leaflet come from the live server, tiles from the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import render_template_string
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import LiveServer
from tests.conftest import make_app
from tests.liveserver import serve

pytestmark = pytest.mark.browser

FORM = """{% from "venues/_map.html" import map_pick_head, map_pick_block %}<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Essai de la carte</title>
<link rel="stylesheet" href="{{ url_for('static', filename='css/app.css') }}">
{{ map_pick_head() }}</head>
<body><main><h1>Essai de la carte</h1>
<form method="post" action="/nulle-part">
  <label for="latitude">Latitude</label>
  <input id="latitude" name="latitude" data-map-pick="latitude" value="{{ latitude }}">
  <label for="longitude">Longitude</label>
  <input id="longitude" name="longitude" data-map-pick="longitude" value="{{ longitude }}">
  {{ map_pick_block(center=(48.80359, 2.13424)) }}
</form></main></body></html>"""


@pytest.fixture
def live_server(chromium_executable: str, tmp_path: Path,
                request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """The application without data: the form needs none."""

    def build(url: str):
        return make_app("sqlite", tmp_path, request, BASE_URL=url)

    with serve(build) as (url, app):
        yield LiveServer(url=url, app=app)


def _open(page: Page, live_server: LiveServer, latitude: str = "", longitude: str = "") -> None:
    with live_server.app.test_request_context():
        body = render_template_string(FORM, latitude=latitude, longitude=longitude)

    def answer(route: Route) -> None:
        route.fulfill(content_type="text/html; charset=utf-8", body=body)

    page.route("**/essai-carte", answer)
    page.goto("/essai-carte")
    expect(page.locator("[data-map-pick-map]")).to_be_visible()


def test_a_click_fills_both_fields(page: Page, live_server: LiveServer) -> None:
    _open(page, live_server)
    expect(page.locator(".leaflet-marker-icon")).to_have_count(0)
    page.locator("[data-map-pick-canvas]").click()  # its centre: the commune's centroid
    latitude = float(page.get_by_label("Latitude").input_value().replace(",", "."))
    longitude = float(page.get_by_label("Longitude").input_value().replace(",", "."))
    assert abs(latitude - 48.80359) < 0.01 and abs(longitude - 2.13424) < 0.01
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    expect(page.locator("[data-map-pick-status]")).to_contain_text("Position placée")


def test_typed_fields_place_the_marker(page: Page, live_server: LiveServer) -> None:
    _open(page, live_server, "48,9372", "2,1644")
    marker = page.get_by_role("button", name="Position du lieu")
    expect(marker).to_have_count(1)
    before = marker.bounding_box()
    page.get_by_label("Latitude").fill("48,9380")
    page.get_by_label("Latitude").press("Tab")
    assert page.get_by_label("Latitude").input_value() == "48,9380"
    after = marker.bounding_box()
    assert before is not None and after is not None and before != after

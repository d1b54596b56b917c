"""``static/js/communes.js`` in a browser: typing a postal code offers its communes.

The form is a small page the browser itself serves (no form of the application carries
the markup yet); the script and ``GET /communes`` come from the live server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import LiveServer
from tests.conftest import make_app
from tests.liveserver import serve

pytestmark = pytest.mark.browser

FORM = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Essai des communes</title></head>
<body><main><h1>Essai des communes</h1>
<form method="post" action="/nulle-part">
  <label for="postal_code">Code postal</label>
  <input id="postal_code" name="postal_code" inputmode="numeric" value="{postal_code}">
  <label for="commune_insee">Commune</label>
  <select id="commune_insee" name="commune_insee" data-commune-for="postal_code"
          data-commune-url="/communes" data-commune-status="commune-status">
    <option value="">Choisissez la commune</option>{options}
  </select>
  <p id="commune-status" aria-live="polite"></p>
</form>
<script src="/static/js/communes.js"></script>
</main></body></html>"""


@pytest.fixture
def live_server(chromium_executable: str, tmp_path: Path,
                request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """The application without demo data: the reference needs none."""

    def build(url: str) -> Flask:
        return make_app("sqlite", tmp_path, request, BASE_URL=url)

    with serve(build) as (url, app):
        yield LiveServer(url=url, app=app)


def _open_form(page: Page, postal_code: str = "", options: str = "") -> None:
    def answer(route: Route) -> None:
        route.fulfill(content_type="text/html; charset=utf-8",
                      body=FORM.format(postal_code=postal_code, options=options))

    page.route("**/essai-communes", answer)
    page.goto("/essai-communes")


def _offered(page: Page) -> list[str]:
    return page.locator("#commune_insee option").all_inner_texts()


def test_several_communes_are_offered_one_is_preselected(page: Page) -> None:
    _open_form(page)
    postal_code, select = page.get_by_label("Code postal"), page.get_by_label("Commune")
    postal_code.fill("78120")
    expect(page.locator("#commune_insee option")).to_have_count(4)
    assert _offered(page) == ["Choisissez la commune", "Clairefontaine-en-Yvelines",
                              "Rambouillet", "Sonchamp"]
    expect(select).to_have_value("")
    expect(page.locator("#commune-status")).to_contain_text("3 communes")
    select.select_option(label="Rambouillet")

    postal_code.fill("78000")
    expect(page.locator("#commune_insee option")).to_have_count(2)
    expect(select).to_have_value("78646")  # Versailles, the only one

    postal_code.fill("780")  # being corrected: no stale choice is left behind
    expect(page.locator("#commune_insee option")).to_have_count(1)
    expect(select).to_have_value("")


def test_a_choice_the_new_code_also_serves_is_kept_and_unknown_codes_say_so(
        page: Page) -> None:
    _open_form(page)
    postal_code, select = page.get_by_label("Code postal"), page.get_by_label("Commune")
    postal_code.fill("94100")
    expect(select).to_have_value("94068")
    postal_code.fill("94210")  # Saint-Maur-des-Fossés has both
    expect(page.locator("#commune-status")).to_have_text("Une commune pour ce code postal.")
    expect(select).to_have_value("94068")
    postal_code.fill("00000")
    expect(page.locator("#commune-status")).to_have_text(
        "Aucune commune connue pour ce code postal.")
    expect(page.locator("#commune_insee option")).to_have_count(1)


def test_the_server_side_choice_is_kept_and_a_typed_code_is_looked_up_on_load(
        page: Page) -> None:
    _open_form(page, postal_code="78120",
               options='<option value="78601" selected>Sonchamp</option>')
    expect(page.get_by_label("Commune")).to_have_value("78601")
    assert _offered(page) == ["Choisissez la commune", "Sonchamp"]  # not fetched again

    page.unroute("**/essai-communes")
    _open_form(page, postal_code="78000")
    expect(page.get_by_label("Commune")).to_have_value("78646")

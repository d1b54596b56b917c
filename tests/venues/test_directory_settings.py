"""The map's settings are checked at start, and the Content-Security-Policy admits the
tile server's origin and no other."""

from __future__ import annotations

import pytest

from passnum.config import ConfigError
from tests.conftest import make_app


@pytest.mark.parametrize(("settings", "named"), [
    ({"MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}.png"}, "PASSNUM_MAP_TILE_URL"),
    ({"MAP_TILE_URL": "ftp://tiles.example.org/{z}/{x}/{y}.png"}, "PASSNUM_MAP_TILE_URL"),
    ({"MAP_TILE_URL": "tiles.example.org/{z}/{x}/{y}.png"}, "PASSNUM_MAP_TILE_URL"),
    ({"MAP_TILE_URL": "https://tiles.{s}.example.org/{z}/{x}/{y}.png"}, "PASSNUM_MAP_TILE_URL"),
    ({"MAP_TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png x"}, "PASSNUM_MAP_TILE_URL"),
    ({"MAP_ATTRIBUTION": "   "}, "PASSNUM_MAP_ATTRIBUTION"),
    ({"MAP_ATTRIBUTION": "x" * 201}, "PASSNUM_MAP_ATTRIBUTION"),
    ({"MAP_ATTRIBUTION_URL": "javascript:alert(1)"}, "PASSNUM_MAP_ATTRIBUTION_URL"),
])
def test_an_unusable_map_setting_stops_the_start(tmp_path, request, settings, named):
    with pytest.raises(ConfigError, match=named):
        make_app("sqlite", tmp_path, request, **settings)


@pytest.mark.parametrize(("url", "source"), [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", " https://tile.openstreetmap.org;"),
    ("https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png",
     " https://*.tile.openstreetmap.fr;"),
    ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}{r}.png", " http://127.0.0.1:8080;"),
    ("/tuiles/{z}/{x}/{y}.png", ";"),
    ("", ";"),
])
def test_the_csp_admits_the_tile_origin(tmp_path, request, url, source):
    app = make_app("sqlite", tmp_path, request, MAP_TILE_URL=url)
    csp = app.test_client().get("/lieux").headers["Content-Security-Policy"]
    assert f"img-src 'self' data:{source}" in csp


def test_the_defaults_credit_openstreetmap(tmp_path, request):
    app = make_app("sqlite", tmp_path, request, MAP_ATTRIBUTION="  © OSM \n contributeurs ")
    assert app.config["MAP_ATTRIBUTION"] == "© OSM contributeurs"
    assert app.config["MAP_ATTRIBUTION_URL"] == "https://www.openstreetmap.org/copyright"
    assert app.config["MAP_TILE_URL"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

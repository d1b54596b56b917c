"""Static files: URLs versioned by content hash, cached a year; others revalidated."""

from __future__ import annotations

import hashlib
import re

from flask import url_for

from passnum import ROOT


def css_version() -> str:
    return hashlib.sha256((ROOT / "static/css/app.css").read_bytes()).hexdigest()[:12]


def test_pages_link_static_files_with_their_content_hash(client):
    page = client.get("/connexion").text
    assert f'href="/static/css/app.css?v={css_version()}"' in page


def fetch(client, path: str, **kw):
    """GET a static file and close its stream (the body is not needed)."""
    response = client.get(path, **kw)
    response.close()
    return response


def test_a_versioned_file_is_cached_for_a_year_with_an_etag(client):
    response = fetch(client, f"/static/css/app.css?v={css_version()}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["ETag"]
    again = fetch(client, f"/static/css/app.css?v={css_version()}",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_unversioned_or_stale_urls_are_revalidated(client):
    for path in ("/static/css/app.css", "/static/css/app.css?v=0123456789ab"):
        response = fetch(client, path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["ETag"]


def test_missing_static_file_is_a_404_without_long_cache(client):
    response = fetch(client, "/static/css/nothing.css?v=0123456789ab")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_the_scanner_keeps_plain_asset_urls_for_its_service_worker(app):
    with app.test_request_context("/scan/sw.js"):
        app.preprocess_request()
        assert url_for("static", filename="js/scan.js") == "/static/js/scan.js"
    with app.test_request_context("/"):
        assert re.fullmatch(r"/static/js/scan\.js\?v=[0-9a-f]{12}",
                            url_for("static", filename="js/scan.js"))

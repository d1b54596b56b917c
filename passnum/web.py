"""Blueprint registration, template helpers, HTTP security and static caching headers."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from flask import Flask, Response, has_request_context, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter, Map
from werkzeug.security import safe_join
from werkzeug.wsgi import LimitedStream

from passnum.auth.models import Role
from passnum.auth.policy import policy_for
from passnum.booklets.models import REVOKE_REASON_LABELS
from passnum.booklets.queries import STATE_LABELS
from passnum.core.codes import group
from passnum.core.formatting import (
    agree,
    date_fr,
    datetime_fr,
    distance_fr,
    euros,
    format_iban,
    number,
    plural,
)

# A static URL carrying its file's content hash (``?v=``) never changes meaning: browsers
# keep it a year without asking. Any other static URL is revalidated (ETag, 304).
STATIC_VERSIONED = "public, max-age=31536000, immutable"
STATIC_UNVERSIONED = "no-cache"
# The scanner keeps its page and assets in its service worker, which matches them by path
# and renews them by its own content hash: they stay unversioned (revalidated) there.
PLAIN_STATIC_ENDPOINTS = frozenset({"redemptions.scan", "redemptions.service_worker"})
# Files that never hold personal data, whoever asks: they keep their own caching.
NEVER_PERSONAL = frozenset({"static", "redemptions.service_worker"})


class IdConverter(IntegerConverter):
    """A database id in a URL: a positive 32-bit integer, so no id overflows a column."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def register_blueprints(app: Flask) -> None:
    """Attach the HTML blueprints and the JSON API (``<id:…>`` in their routes)."""
    app.url_map.converters["id"] = IdConverter
    from passnum.api import bp as api_bp
    from passnum.audit.views import bp as audit_bp
    from passnum.auth.views import bp as auth_bp
    from passnum.beneficiaries.views import bp as beneficiaries_bp
    from passnum.booklets.expiry_views import bp as expiry_bp
    from passnum.booklets.views import bp as booklets_bp
    from passnum.communes.views import bp as communes_bp
    from passnum.core.health import bp as health_bp
    from passnum.dashboard.indicator_views import bp as indicators_bp
    from passnum.dashboard.views import bp as dashboard_bp
    from passnum.messages.optout_views import bp as messages_optout_bp
    from passnum.messages.views import bp as messages_bp
    from passnum.opendata.views import bp as opendata_bp
    from passnum.programmes.admin_views import bp as programme_admin_bp
    from passnum.programmes.views import bp as programmes_bp
    from passnum.redemptions.history_views import bp as history_bp
    from passnum.redemptions.views import bp as redemptions_bp
    from passnum.statements.views import bp as statements_bp
    from passnum.venues.views import bp as venues_bp

    for bp in (auth_bp, beneficiaries_bp, booklets_bp, programmes_bp, programme_admin_bp,
               venues_bp, history_bp, redemptions_bp, expiry_bp, dashboard_bp, statements_bp,
               audit_bp, messages_bp, messages_optout_bp, health_bp, communes_bp,
               indicators_bp, opendata_bp, api_bp):
        app.register_blueprint(bp)


def register_template_helpers(app: Flask) -> None:
    """Filters for French display and the security headers of every response."""
    app.jinja_env.filters.update(
        fromjson=json.loads,
        euros=euros, datetime_fr=datetime_fr, date_fr=date_fr, code_group=group, iban=format_iban,
        distance_fr=distance_fr,
        number=number, plural=plural, agree=agree,
        state_label=lambda s: STATE_LABELS.get(s, s),
        revoke_label=lambda r: REVOKE_REASON_LABELS.get(r, r) if r else "",
    )
    app.jinja_env.globals.update(Role=Role)

    # the map's tiles come from the configured tile server (config.validate_map)
    img_src = " ".join(filter(None, ("'self' data:", app.config.get("MAP_TILE_ORIGIN"))))
    policy = (f"default-src 'self'; img-src {img_src}; style-src 'self'; script-src 'self'; "
              "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

    @app.after_request
    def _read_what_was_sent(response: Response) -> Response:
        drain_unread_body()
        return response

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if _may_be_personal():
            response.headers["Cache-Control"] = "no-store"
        return response


# the largest body read to its end when the app answers without reading it: the import's
# file (venues.import_views) and a little more; nginx refuses bigger ones (6 MB)
DRAIN_LIMIT = 8 * 1024 * 1024


def drain_unread_body() -> None:
    """Read to its end a body the app answered without reading (a POST sent to the login
    page when the session has expired, say): gunicorn closes the connection after the
    answer, and a proxy still sending the body would see it cut and answer 502 in place
    of the app's answer. What the form parser read is not read again."""
    length = request.content_length or 0
    if not 0 < length <= DRAIN_LIMIT:
        return
    stream = request.__dict__.get("stream")  # the one the form parser read, if any
    if stream is None:
        stream = LimitedStream(request.environ["wsgi.input"], length)
    stream.exhaust()


def _may_be_personal() -> bool:
    """True for an answer no cache may keep: any answer of a route that is not public,
    and any answer to a logged-in person (a public page then shows their account).

    Pages, PDFs, CSV and spreadsheet exports, JSON alike; static files excepted.
    """
    if request.endpoint in NEVER_PERSONAL:
        return False
    policy = policy_for(request.endpoint, request.method)
    return policy is None or policy.roles is not None or current_user.is_authenticated


def register_static_caching(app: Flask) -> None:
    """Version static URLs by content hash and give them long-lived cache headers.

    ``url_for('static', filename=…)`` gains ``?v=<hash>``, so a deploy that changes a
    file changes its URL and no browser keeps the old one behind a cached copy.
    """
    hashes: dict[str, tuple[tuple[int, int], str]] = {}

    def version(filename: str) -> str | None:
        """The first 12 hex digits of the file's SHA-256 (rehashed when it changes)."""
        path = safe_join(str(app.static_folder), filename)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        known = hashes.get(filename)
        if known is None or known[0] != (stat.st_mtime_ns, stat.st_size):
            with open(path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()[:12]
            known = hashes[filename] = ((stat.st_mtime_ns, stat.st_size), digest)
        return known[1]

    @app.url_defaults
    def _add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static" or "v" in values or "filename" not in values:
            return
        if has_request_context() and request.endpoint in PLAIN_STATIC_ENDPOINTS:
            return
        if (digest := version(values["filename"])) is not None:
            values["v"] = digest

    @app.after_request
    def _cache_static(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        given = request.args.get("v")
        current = version((request.view_args or {}).get("filename", ""))
        response.headers["Cache-Control"] = (
            STATIC_VERSIONED if given and given == current else STATIC_UNVERSIONED)
        return response

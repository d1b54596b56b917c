"""``/healthz``: is the application up, and can it reach its database?"""

from __future__ import annotations

import time

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from passnum.errors import RETRY_AFTER_SECONDS
from passnum.extensions import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    """200 with the database's round-trip time, or 503 with ``Retry-After`` when the
    database does not answer (for load balancers and monitoring; no personal data)."""
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except DBAPIError as err:
        db.session.remove()
        response = jsonify({"status": "unavailable", "database": "unreachable",
                            "error": type(err.orig or err).__name__})
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    response = jsonify({"status": "ok", "database": "ok", "database_ms": elapsed})
    response.headers["Cache-Control"] = "no-store"
    return response

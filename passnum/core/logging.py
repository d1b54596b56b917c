"""Structured logs: one JSON object per line, each tied to its request by a request id.

``install(app)`` gives every request an id (a valid incoming ``X-Request-ID``, else a new
one), returns it in the ``X-Request-ID`` response header and writes one access record
per request on the ``passnum.access`` logger. ``JsonFormatter`` renders any record as
one JSON line; production (``gunicorn.conf.py``) puts it on the root logger.

Only what cannot identify a person is logged: method, path without its query string,
status, duration, user id. Never names, e-mails, bodies or query strings.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask_login import AnonymousUserMixin
from sqlalchemy import inspect

REQUEST_ID_HEADER = "X-Request-ID"
# ids as proxies and tracing tools make them (UUIDs, hex, base64url): no '@', no spaces
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
# fields an access record carries besides the message (read from the record's extras)
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "user_id")

access_log = logging.getLogger("passnum.access")


def request_id() -> str | None:
    """The current request's id, outside a request None."""
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON object: time, level, logger, message, request_id
    and the access fields when present; a traceback under ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def incoming_request_id() -> str:
    """The caller's ``X-Request-ID`` when well formed (proxies set one), else a new id."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if VALID_REQUEST_ID.match(given) else uuid.uuid4().hex


def _user_id() -> int | None:
    """The id of the user this request was authenticated as, without loading anyone."""
    user = g.get("_login_user")  # set by Flask-Login only if the request asked for it
    if user is None or isinstance(user, AnonymousUserMixin):
        return None
    # the identity the session knew, even if the row was let go (a database failure)
    identity = inspect(user).identity
    return identity[0] if identity else None


def _start() -> None:
    """Name the request and note when it began."""
    g.request_id = incoming_request_id()
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    """Return the id to the caller and write the access record."""
    rid = g.get("request_id") or incoming_request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    if access_log.isEnabledFor(logging.INFO):
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        access_log.info("%s %s %s", request.method, request.path, response.status_code,
                        extra={"request_id": rid, "method": request.method,
                               "path": request.path, "status": response.status_code,
                               "duration_ms": duration, "user_id": _user_id()})
    return response


def install(app: Flask) -> None:
    """Request ids and access records on every request of ``app``."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)


def json_log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` writing JSON lines to stderr (gunicorn's too)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": level, "handlers": [], "propagate": True},
        },
    }

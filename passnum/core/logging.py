"""Structured logs: one JSON object per line, each tied to its request by a request id.

``install(app)`` gives every request an id (a valid incoming ``X-Request-ID``, else a new
one), returns it in the ``X-Request-ID`` response header and writes one access record
per request on the ``passnum.access`` logger. ``JsonFormatter`` renders any record as
one JSON line; production (``gunicorn.conf.py``) puts it on the root logger.

Only what cannot identify a person is logged: method, path without its query string,
status, duration, user id. Never names, e-mails, bodies or query strings, nor a free-text
URL argument: a voucher's token in ``/v/<token>`` is as good as the voucher, so the path
is logged as ``/v/…``. Werkzeug's request lines (the development server's) get the same
treatment; gunicorn's own access log is off (``gunicorn.conf.py``).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, has_request_context, request
from flask_login import AnonymousUserMixin
from sqlalchemy import inspect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

REQUEST_ID_HEADER = "X-Request-ID"
# ids as proxies and tracing tools make them (UUIDs, hex, base64url): no '@', no spaces
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
# fields an access record carries besides the message (read from the record's extras)
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "user_id")

access_log = logging.getLogger("passnum.access")
REDACTED = "…"
# a rule's variable part: ``<name>``, ``<converter:name>``, ``<any(a, b):name>``
_RULE_ARGUMENT = re.compile(r"<(?:[^<>]*:)?([A-Za-z_][A-Za-z0-9_]*)>")
# Werkzeug's request line (``log_request``), possibly coloured for a terminal
_REQUEST_LINE = re.compile(r"^(?P<method>[A-Z]+) (?P<target>\S*) (?P<version>HTTP/[0-9.]+)$")
_ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")


def loggable_path(rule: Rule | None, view_args: Mapping[str, Any] | None, path: str) -> str:
    """``path`` as a log may show it, never a free-text URL argument.

    A routed path is its rule with numeric arguments (database ids) filled in and the
    others shown as ``…`` (``/v/<token>`` gives ``/v/…``); static files keep their path;
    an unrouted path keeps its first segment only (``/v/…``), since it could hold anything.
    """
    if rule is None:
        head, _, rest = path.lstrip("/").partition("/")
        return f"/{head}/{REDACTED}" if rest else path
    if rule.endpoint == "static" or not rule.arguments:
        return path
    values = view_args or {}

    def shown(match: re.Match[str]) -> str:
        value = values.get(match[1])
        return str(value) if isinstance(value, int) else REDACTED

    return _RULE_ARGUMENT.sub(shown, rule.rule)


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
        path = loggable_path(request.url_rule, request.view_args, request.path)
        access_log.info("%s %s %s", request.method, path, response.status_code,
                        extra={"request_id": rid, "method": request.method,
                               "path": path, "status": response.status_code,
                               "duration_ms": duration, "user_id": _user_id()})
    return response


class RequestLineFilter(logging.Filter):
    """Rewrite Werkzeug's request lines (``"GET /v/<token>?code=… HTTP/1.1" 200 -``) to
    the method, ``loggable_path`` and protocol: no token, no query string."""

    def __init__(self, url_map: Map) -> None:
        """Route the logged paths with ``url_map`` (the application's routes)."""
        super().__init__()
        self.url_map = url_map

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, its request line redacted; a raw error message is dropped."""
        args = record.args if isinstance(record.args, tuple) else ()
        if str(record.msg).endswith('"%s" %s %s') and len(args) == 3:
            record.args = (self._request_line(str(args[0])), *args[1:])
        elif str(record.msg).endswith("code %d, message %s") and len(args) == 2:
            record.args = (args[0], REDACTED)  # may quote the raw request line
        return True

    def _request_line(self, line: str) -> str:
        match = _REQUEST_LINE.match(_ANSI_STYLE.sub("", line))
        if match is None:
            return REDACTED
        method, path = match["method"], urlsplit(match["target"]).path
        try:
            rule, args = self.url_map.bind("localhost").match(path, method=method,
                                                              return_rule=True)
        except HTTPException:
            rule, args = None, None
        return f"{method} {loggable_path(rule, args, path)} {match['version']}"


def _filter_request_lines(url_map: Map) -> None:
    """Put one ``RequestLineFilter`` on Werkzeug's logger (the latest app's routes)."""
    werkzeug_log = logging.getLogger("werkzeug")
    for old in [f for f in werkzeug_log.filters if isinstance(f, RequestLineFilter)]:
        werkzeug_log.removeFilter(old)
    werkzeug_log.addFilter(RequestLineFilter(url_map))


def install(app: Flask) -> None:
    """Request ids and access records on every request of ``app``; Werkzeug's request
    lines without tokens or query strings."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    _filter_request_lines(app.url_map)


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

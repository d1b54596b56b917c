"""The open-data files, public and without personal data: ``/lieux.csv`` and
``/lieux.json`` (the national standard), ``/lieux/data-inclusion/structures.json`` and
``…/services.json`` (data·inclusion v1).

Every file is rebuilt on each request from the active venues (those whose row has the
values the standard requires: ``lieux.is_publishable``); caches may keep it a
quarter of an hour, and an unchanged file answers 304 to a conditional request.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from passnum.core.clock import today
from passnum.opendata import data_inclusion, queries
from passnum.opendata.lieux import Row, lieux_csv, lieux_json, publishable_rows
from passnum.venues.models import Venue

bp = Blueprint("opendata", __name__)

MAX_AGE = 15 * 60  # seconds a cache may keep a file


def _published(body: str, mimetype: str, *, filename: str | None = None) -> Response:
    """A public file: cacheable, readable from any site's scripts, with an ETag (304 to
    a matching ``If-None-Match``) and, for a download, its file name."""
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.add_etag()
    response.make_conditional(request)
    return response


def _published_rows() -> list[tuple[Venue, Row]]:
    """The active venues with a complete row, each with that row."""
    return publishable_rows(queries.published_venues())


def _json(data: Any) -> Response:
    """``data`` as UTF-8 JSON (accents written as they are)."""
    return _published(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                      "application/json")


@bp.get("/lieux.csv")
def lieux_csv_file() -> Response:
    """The active venues in the standard's CSV, named as the standard recommends
    (``YYYY-MM-DD_…_lieux-de-mediation-numerique_…csv``)."""
    body = lieux_csv(row for _venue, row in _published_rows())
    name = f"{today().isoformat()}_passnum_lieux-de-mediation-numerique.csv"
    return _published(body, "text/csv", filename=name)


@bp.get("/lieux.json")
def lieux_json_file() -> Response:
    """The same rows as a JSON array of objects with the standard's keys."""
    return _json(lieux_json(row for _venue, row in _published_rows()))


@bp.get("/lieux/data-inclusion/structures.json")
def data_inclusion_structures() -> Response:
    """One data·inclusion v1 structure per active venue."""
    return _json([data_inclusion.structure(venue, row) for venue, row in _published_rows()])


@bp.get("/lieux/data-inclusion/services.json")
def data_inclusion_services() -> Response:
    """One data·inclusion v1 service per active venue: its pass numérique workshops."""
    departements = queries.departement_codes()
    return _json([data_inclusion.service(venue, departements, row)
                  for venue, row in _published_rows()])

"""JSON API: the dashboard's numbers (``GET /api/v1/stats``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_login import current_user

from passnum.api import bp
from passnum.api.edge import api_endpoint
from passnum.api.schema import ID_MAX
from passnum.core.clock import InvalidDate, parse_iso_date
from passnum.dashboard.presentation import stats_json
from passnum.dashboard.queries import departement_scope, programme_stats
from passnum.errors import InvalidInput, NotFound
from passnum.extensions import db
from passnum.programmes.models import Programme
from passnum.programmes.queries import open_programme


def _date_arg(name: str) -> date | None:
    """A ``YYYY-MM-DD`` query parameter; raise ``InvalidInput`` when malformed."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_iso_date(raw)
    except InvalidDate as err:
        raise InvalidInput(f"« {name} » : {err}", field=name) from None


def _programme() -> Programme:
    """The programme asked for, or the one open today."""
    raw = request.args.get("programme", "").strip()
    if not raw:
        return open_programme()
    if not raw.isdigit() or not 0 < int(raw) <= ID_MAX:
        raise InvalidInput("Identifiant de programme invalide.", field="programme")
    programme = db.session.get(Programme, int(raw))
    if programme is None:
        raise NotFound("Programme introuvable.", code="not_found")
    return programme


@bp.get("/stats")
@api_endpoint
def stats_endpoint() -> dict[str, Any]:
    """Counts and euros of a programme as on the dashboard, for a département or all
    (the route policy admits managers and administrators; the scope is checked by
    ``departement_scope``)."""
    departement = departement_scope(current_user, request.args.get("departement"))
    start, end = _date_arg("start"), _date_arg("end")
    if start and end and start > end:
        raise InvalidInput("La date de début doit précéder la date de fin.", field="start")
    programme = _programme()
    stats = programme_stats(programme.id, departement_id=departement and departement.id,
                            start=start, end=end)
    return {"departement": departement and departement.code, **stats_json(stats)}

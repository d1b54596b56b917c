"""Public directory of labelled venues and their upcoming workshops."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, render_template

from passnum.core.clock import now
from passnum.venues.queries import directory

bp = Blueprint("venues", __name__)


@bp.route("/lieux")
def public_directory():
    """Where beneficiaries can use their chéquier, by commune (no login)."""
    entries = directory(now_at=now())
    by_commune = [(commune, list(items))
                  for commune, items in groupby(entries, key=lambda e: e[0].commune)]
    return render_template("venues/directory.html", by_commune=by_commune)

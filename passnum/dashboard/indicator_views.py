"""The *Indicateurs* page and its exports (``/indicateurs``): people reached by
category, priority publics against the target, the funnel per structure and per venue.

Managers see their own département, administrators any or all (the dashboard's
filters and scope); the period defaults to the programme's.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.auth.scope import sees_every_departement_figures
from passnum.dashboard.exports import table_csv, workbook_xlsx
from passnum.dashboard.indicator_exports import (
    INDICATOR_TABLE_KEYS,
    barometer_csv,
    barometer_table,
    indicator_tables,
    share_text,
)
from passnum.dashboard.indicators import FUNNEL_STAGES, Indicators, programme_indicators
from passnum.dashboard.presentation import scope_label
from passnum.dashboard.views import (
    XLSX_TYPE,
    Filters,
    attachment,
    export_filename,
    export_filters,
    page_filters,
)
from passnum.programmes.models import Programme
from passnum.programmes.queries import departements as all_departements
from passnum.programmes.queries import open_programme

bp = Blueprint("indicators", __name__, url_prefix="/indicateurs")


def period(filters: Filters, programme: Programme) -> tuple[date, date]:
    """The period asked for, the programme's by default."""
    return filters.start or programme.starts_on, filters.end or programme.ends_on


def _indicators(filters: Filters) -> Indicators:
    programme = open_programme()
    start, end = period(filters, programme)
    return programme_indicators(
        programme.id, departement_id=filters.departement.id if filters.departement else None,
        start=start, end=end)


def _query(filters: Filters) -> dict[str, str]:
    return {key: value for key, value in (
        ("departement", filters.departement.code if filters.departement else ""),
        ("start", filters.start.isoformat() if filters.start else ""),
        ("end", filters.end.isoformat() if filters.end else "")) if value}


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """The indicators of the open programme for the filters."""
    filters = page_filters()
    found = _indicators(filters)
    every = sees_every_departement_figures(current_user)
    return render_template(
        "dashboard/indicators.html", found=found, filters=filters,
        scope=scope_label(filters.departement), query=_query(filters),
        departements=all_departements() if every else [], is_admin=every,
        stages=FUNNEL_STAGES, share=share_text,
    ), 400 if filters.errors else 200


@bp.route("/export.csv")
@login_required
def export_csv() -> ResponseReturnValue:
    """One table of the indicators as CSV (``table`` = categories, priority…)."""
    filters = export_filters()
    key = request.args.get("table", "")
    if key not in INDICATOR_TABLE_KEYS:
        abort(404)
    table = indicator_tables(_indicators(filters))[key]
    return attachment(table_csv(table), "text/csv",
                       export_filename(filters, f"indicateurs-{key}", "csv"))


@bp.route("/export.xlsx")
@login_required
def export_xlsx() -> ResponseReturnValue:
    """Every table of the indicators in one workbook."""
    filters = export_filters()
    return attachment(workbook_xlsx(indicator_tables(_indicators(filters))), XLSX_TYPE,
                       export_filename(filters, "indicateurs", "xlsx"))


@bp.route("/barometre.csv")
@login_required
def barometer() -> ResponseReturnValue:
    """Accompaniments per département, in the national barometer's shape."""
    filters = export_filters()
    programme = open_programme()
    start, end = period(filters, programme)
    table = barometer_table(programme.id, filters.departement.id if filters.departement
                            else None, start, end)
    return attachment(barometer_csv(table), "text/csv",
                       export_filename(filters, "accompagnements-par-departement", "csv"))

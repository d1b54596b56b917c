"""The managers' dashboard page and its CSV/XLSX exports (``/tableau-de-bord``)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.auth.scope import sees_every_departement_figures
from passnum.core.clock import InvalidDate, parse_iso_date
from passnum.dashboard import charts
from passnum.dashboard.exports import TABLE_KEYS, table_csv, tables, workbook_xlsx
from passnum.dashboard.figures import FIGURES
from passnum.dashboard.presentation import (
    compact_euros,
    count_label,
    fill_months,
    forecast_method,
    month_name,
    percent,
    scope_label,
)
from passnum.dashboard.queries import departement_scope, programme_stats
from passnum.dashboard.report import render_report
from passnum.dashboard.stats import DashboardStats
from passnum.errors import InvalidInput
from passnum.programmes.models import Departement
from passnum.programmes.queries import departements as all_departements
from passnum.programmes.queries import open_programme

bp = Blueprint("dashboard", __name__, url_prefix="/tableau-de-bord")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Filters:
    """The page's filters once checked: département (None: all), period, errors."""

    departement: Departement | None
    start: date | None
    end: date | None
    errors: dict[str, str]


def _date(name: str, errors: dict[str, str]) -> date | None:
    """A ``YYYY-MM-DD`` query parameter; an error is noted and the filter dropped."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_iso_date(raw)
    except InvalidDate as err:
        errors[name] = str(err)
        return None


def page_filters() -> Filters:
    """Read the filters; managers always get their own département (the route policy
    has admitted managers and administrators only)."""
    departement = departement_scope(current_user, request.args.get("departement"), clamp=True)
    errors: dict[str, str] = {}
    start, end = _date("start", errors), _date("end", errors)
    if start and end and start > end:
        errors["end"] = "La date de fin doit suivre la date de début."
        start = end = None
    return Filters(departement, start, end, errors)


def export_filters() -> Filters:
    """The filters of an export: a file is never made for a period other than the one
    asked for, so a bad date is refused (400) rather than dropped."""
    filters = page_filters()
    if filters.errors:
        raise InvalidInput(next(iter(filters.errors.values())), field=next(iter(filters.errors)))
    return filters


def _stats(filters: Filters) -> DashboardStats:
    """``programme_stats`` of the open programme for the filters."""
    return programme_stats(open_programme().id,
                           departement_id=filters.departement.id if filters.departement else None,
                           start=filters.start, end=filters.end)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """The figures, monthly charts and breakdowns of the open programme."""
    filters = page_filters()
    stats = _stats(filters)
    months = fill_months(stats.monthly)
    scope = scope_label(filters.departement)
    booklet_chart = charts.bar_chart(
        "chart-booklets", f"Chéquiers émis par mois — {scope}",
        "Diagramme en barres du nombre de chéquiers émis (non révoqués) chaque mois ; "
        "les valeurs figurent dans le tableau qui suit.",
        [(m.month, m.booklets_issued) for m in months], count_label)
    euro_chart = charts.bar_chart(
        "chart-euros", f"Montant encaissé par mois — {scope}",
        "Diagramme en barres du montant des chèques encaissés chaque mois, en euros ; "
        "les valeurs figurent dans le tableau qui suit.",
        [(m.month, m.redeemed_cents) for m in months], compact_euros)
    every = sees_every_departement_figures(current_user)
    departements = all_departements() if every else []
    query = {key: value for key, value in (
        ("departement", filters.departement.code if filters.departement else ""),
        ("start", filters.start.isoformat() if filters.start else ""),
        ("end", filters.end.isoformat() if filters.end else "")) if value}
    return render_template(
        "dashboard/index.html", stats=stats, filters=filters, scope=scope, months=months,
        booklet_chart=booklet_chart, euro_chart=euro_chart, departements=departements,
        query=query, percent=percent, month_name=month_name, figures=FIGURES,
        is_admin=every, method=forecast_method(stats.forecast),
    ), 400 if filters.errors else 200


def export_filename(filters: Filters, name: str, extension: str) -> str:
    """An export's file name: ``name``, the département (or ``tous``) and the period,
    as ``tableau-de-bord-78-2025-01-01-2025-06-30.csv``."""
    parts = [name, filters.departement.code if filters.departement else "tous"]
    parts += [d.isoformat() for d in (filters.start, filters.end) if d]
    return "-".join(parts) + f".{extension}"


def attachment(body: str | bytes, mimetype: str, name: str) -> Response:
    """A download named ``name``."""
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/export.csv")
@login_required
def export_csv() -> ResponseReturnValue:
    """One table of the dashboard as CSV (``table`` = summary, months, structures…)."""
    filters = export_filters()
    key = request.args.get("table", "")
    if key not in TABLE_KEYS:
        abort(404)
    table = tables(_stats(filters))[key]
    return attachment(table_csv(table), "text/csv",
                      export_filename(filters, f"tableau-de-bord-{key}", "csv"))


@bp.route("/export.xlsx")
@login_required
def export_xlsx() -> ResponseReturnValue:
    """Every table of the dashboard in one workbook."""
    filters = export_filters()
    return attachment(workbook_xlsx(tables(_stats(filters))), XLSX_TYPE,
                      export_filename(filters, "tableau-de-bord", "xlsx"))


@bp.route("/rapport.pdf")
@login_required
def report_pdf() -> ResponseReturnValue:
    """The funder's PDF report for the same filters and scope as the page."""
    filters = export_filters()
    out = io.BytesIO()
    render_report(_stats(filters), out, scope=scope_label(filters.departement))
    return attachment(out.getvalue(), "application/pdf",
                      export_filename(filters, "tableau-de-bord", "pdf"))

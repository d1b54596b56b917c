"""The dashboard's French text and formatting, and the JSON form of its statistics.

Everything a reader sees about a ``DashboardStats`` that is not a number from the
database: the forecast's method sentence, scope and period labels, percentages, chart
axis labels, the monthly series with its empty months, and ``stats_json`` (the body of
``GET /api/v1/stats``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from babel.numbers import format_percent

from passnum.core.formatting import LOCALE, NBSP, date_fr, euros, number
from passnum.dashboard.stats import DashboardStats, Forecast, MonthFigures, Period
from passnum.programmes.models import Departement

NO_WORKSHOP = "Sans atelier"
ALL_DEPARTEMENTS = "Tous les départements"
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")
MONTHS_SHORT_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
                   "sept.", "oct.", "nov.", "déc.")


# --- The forecast's method --------------------------------------------------------------

def decimal_fr(value: float) -> str:
    """``12,5`` (one decimal, French comma)."""
    return f"{value:.1f}".replace(".", ",")


def months_fr(months: float) -> str:
    """``3 mois`` or ``2,4 mois``."""
    text = f"{months:.0f}" if float(months).is_integer() else decimal_fr(months)
    return f"{text} mois"


def forecast_method(forecast: Forecast) -> str:
    """How the projection was made, in one French sentence."""
    return (
        f"Projection au rythme moyen observé du {date_fr(forecast.window_start)} au "
        f"{date_fr(forecast.window_end)} ({months_fr(forecast.months_observed)})\u00a0: "
        f"{decimal_fr(forecast.booklets_per_month)} chéquiers et "
        f"{euros(forecast.cents_per_month)} encaissés par mois, prolongé sur les "
        f"{months_fr(forecast.months_remaining)} restant jusqu'à la fin du programme le "
        f"{date_fr(forecast.ends_on)} et ajouté aux chiffres actuels."
    )


# --- Labels -----------------------------------------------------------------------------

def scope_label(departement: Departement | None) -> str:
    """``Yvelines (78)`` or ``Tous les départements``."""
    if departement is None:
        return ALL_DEPARTEMENTS
    return f"{departement.name} ({departement.code})"


def period_text(period: Period) -> str:
    """``, période du 01/01/2025 au 30/06/2025`` (either end may be open), or nothing."""
    start, end = date_fr(period.start), date_fr(period.end)
    if start and end:
        return f", période du {start} au {end}"
    if start:
        return f", période à partir du {start}"
    return f", période jusqu'au {end}" if end else ""


def month_label(month: str) -> str:
    """``2025-01`` → ``janv. 25`` (short, for an axis)."""
    year, number = month.split("-")
    return f"{MONTHS_SHORT_FR[int(number) - 1]} {year[2:]}"


def month_name(month: str) -> str:
    """``2025-01`` → ``janvier 2025`` (for tables and descriptions)."""
    year, number = month.split("-")
    return f"{MONTHS_FR[int(number) - 1]} {year}"


def percent(part: int, whole: int) -> str:
    """``42,5 %`` of ``whole`` (Babel, fr_FR), or an empty string without a reference."""
    if not whole:
        return ""
    return format_percent(part / whole, f"#,##0.0{NBSP}%", locale=LOCALE)


def compact_euros(value: float) -> str:
    """An axis label in euros: ``0 €``, ``500 €``, ``12 k€``, ``1,5 M€``."""
    euros_value = value / 100
    if euros_value >= 1_000_000:
        text = f"{euros_value / 1_000_000:.1f}".rstrip("0").rstrip(".").replace(".", ",")
        return f"{text}{NBSP}M€"
    if euros_value >= 1000:
        text = f"{euros_value / 1000:.1f}".rstrip("0").rstrip(".").replace(".", ",")
        return f"{text}{NBSP}k€"
    return f"{euros_value:.0f}{NBSP}€"


def count_label(value: float) -> str:
    """An axis label for counts: ``1 200``."""
    return number(round(value))


# --- Series and JSON --------------------------------------------------------------------

def fill_months(monthly: Sequence[MonthFigures]) -> list[MonthFigures]:
    """The monthly series with the months without activity in between added as zeros."""
    if not monthly:
        return []
    known = {row.month: row for row in monthly}
    year, month = (int(part) for part in monthly[0].month.split("-"))
    last = monthly[-1].month
    result = []
    while True:
        key = f"{year:04d}-{month:02d}"
        result.append(known.get(key, MonthFigures(key, 0, 0)))
        if key >= last:
            return result
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _json_fields(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """A dataclass's fields as JSON values: dates in ISO form, tuples as lists."""
    return {key: value.isoformat() if isinstance(value, date)
            else list(value) if isinstance(value, tuple) else value for key, value in items}


def stats_json(stats: DashboardStats) -> dict[str, Any]:
    """``stats`` as the JSON object of ``GET /api/v1/stats`` (without ``departement``):
    the same groups and names, dates in ISO form, the forecast with its ``method``."""
    body = asdict(stats, dict_factory=_json_fields)
    body["forecast"]["method"] = forecast_method(stats.forecast)
    return body

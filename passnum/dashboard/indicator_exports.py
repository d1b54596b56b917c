"""The indicators as tables (CSV one at a time, XLSX all together) and the national
barometer's export, on the dashboard's export patterns (``exports``).

The barometer export follows the shape of La Coop de la médiation numérique's
"accompagnements par département" file (one row per département: code, name, number of
accompaniments). Here an accompaniment is one live (not undone) redemption: one person
received at a venue, for a workshop or on their own, whatever the number of chèques;
it counts in the département of the venue where it took place (as the Coop counts by
the place's commune), among the redemptions paid by the départements in scope, in the
period. The number of chèques and the amount follow, for the funder's reconciliation.
docs/indicators.md says why these columns.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from passnum.dashboard.exports import Cents, Table, table_csv
from passnum.dashboard.indicators import FUNNEL_STAGES, FunnelRow, Indicators
from passnum.dashboard.line_facts import Scope, line_facts
from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.venues.models import Venue

INDICATOR_TABLE_KEYS = ("categories", "priority", "structures", "venues")
BAROMETER_HEADERS = ["Code", "Département", "Accompagnements", "Chèques utilisés",
                     "Montant encaissé"]


def share_text(share: float) -> str:
    """``42,5`` (percent, one decimal, decimal comma) for files read in French."""
    return f"{share * 100:.1f}".replace(".", ",")


def _days(value: float | None) -> Any:
    return "" if value is None else value


def _funnel_cells(row: FunnelRow, venue: bool) -> list[Any]:
    stages = [row.first_used, row.fully_used, row.expired,
              _days(row.median_days_to_first_use)]
    return stages if venue else [row.issued, row.handed_out, *stages]


def indicator_tables(found: Indicators) -> dict[str, Table]:
    """Every table of the indicators: people by category, priority publics against the
    target, the funnel per structure (total first) and per venue of first use."""
    people = [[category.title, count.code, count.label, count.people,
               share_text(count.share)]
              for category in found.categories for count in category.counts]
    target = found.priority_target_percent
    priority: list[list[Any]] = [["Personnes atteintes", found.reached],
                ["Personnes d'au moins un public prioritaire", found.priority_people],
                ["Part des publics prioritaires (%)", share_text(found.priority_share)],
                ["Objectif de la convention (%)", "" if target is None else target]]
    stage_titles = [FUNNEL_STAGES[key][0] for key in (
        "issued", "handed_out", "first_used", "fully_used", "expired",
        "median_days_to_first_use")]
    return {
        "categories": Table("categories", "Par catégorie",
                            ["Catégorie", "Code", "Valeur", "Personnes", "Part (%)"], people),
        "priority": Table("priority", "Publics prioritaires", ["Indicateur", "Valeur"],
                          priority),
        "structures": Table(
            "structures", "Parcours par structure",
            ["Structure", "Département", *stage_titles],
            [[row.name, row.departement, *_funnel_cells(row, venue=False)]
             for row in (found.funnel, *found.structures)]),
        "venues": Table(
            "venues", "Parcours par lieu",
            ["Lieu du premier chèque", "Département", *stage_titles[2:]],
            [[row.name, row.departement, *_funnel_cells(row, venue=True)]
             for row in found.venues]),
    }


def barometer_table(programme_id: int, departement_id: int | None, start: date | None,
                    end: date | None) -> Table:
    """Accompaniments per département of the venue (see the module's docstring)."""
    per_venue = line_facts(Scope(programme_id, departement_id, start, end))["venue"]
    totals: dict[int, list[int]] = {}
    for venue_id, departement in db.session.execute(
            select(Venue.id, Venue.departement_id).where(Venue.id.in_(list(per_venue)))):
        acts, vouchers, cents = per_venue[venue_id]
        sums = totals.setdefault(departement, [0, 0, 0])
        sums[0], sums[1], sums[2] = sums[0] + acts, sums[1] + vouchers, sums[2] + cents
    rows = [[code, name, *totals.get(dep_id, [0, 0, 0])[:2],
             Cents(totals.get(dep_id, [0, 0, 0])[2])]
            for dep_id, code, name in db.session.execute(
                select(Departement.id, Departement.code, Departement.name)
                .order_by(Departement.code))]
    return Table("barometer", "Accompagnements par département", BAROMETER_HEADERS, rows)


def barometer_csv(table: Table) -> str:
    """The barometer table as CSV (the dashboard's CSV conventions)."""
    return table_csv(table)

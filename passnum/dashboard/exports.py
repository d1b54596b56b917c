"""The dashboard's tables as CSV (one table) or XLSX (one sheet per table).

Rows come from a ``DashboardStats`` (``queries.programme_stats``); amounts are ``Cents``
cells, written as euros with a decimal comma in CSV and as numbers with a euro format in
XLSX.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from passnum.core.formatting import euros_plain, spreadsheet_text
from passnum.dashboard.figures import FIGURES
from passnum.dashboard.presentation import fill_months
from passnum.dashboard.stats import DashboardStats

EURO_FORMAT = '#,##0.00 "€"'


class Cents(int):
    """An amount in cents, to be shown in euros."""


@dataclass(frozen=True)
class Table:
    """One table of the dashboard: its sheet title, French headers and rows."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


TABLE_KEYS = ("summary", "months", "structures", "venues", "themes")


def tables(stats: DashboardStats) -> dict[str, Table]:
    """Every table of the dashboard built from ``stats``; the summary lists every figure
    of ``figures.FIGURES`` under its label."""
    summary = [[figure.label, Cents(figure.value(stats)) if figure.is_money
                else figure.value(stats)] for figure in FIGURES]
    return {
        "summary": Table("summary", "Synthèse", ["Indicateur", "Valeur"], summary),
        "months": Table("months", "Par mois", ["Mois", "Chéquiers émis", "Montant encaissé"],
                        [[m.month, m.booklets_issued, Cents(m.redeemed_cents)]
                         for m in fill_months(stats.monthly)]),
        "structures": Table(
            "structures", "Par structure",
            ["Structure", "Département", "Chéquiers alloués", "Chéquiers émis",
             "Chéquiers révoqués", "Bénéficiaires", "Chèques encaissés", "Montant encaissé"],
            [[s.name, s.departement, s.booklets_allocated, s.booklets_issued,
              s.booklets_revoked, s.beneficiaries, s.vouchers_redeemed,
              Cents(s.redeemed_cents)] for s in stats.structures]),
        "venues": Table(
            "venues", "Par lieu",
            ["Lieu", "Département", "Encaissements", "Chèques", "Montant encaissé"],
            [[r.name, r.departement, r.redemptions, r.vouchers,
              Cents(r.redeemed_cents)] for r in stats.venues]),
        "themes": Table(
            "themes", "Par thème d'atelier",
            ["Thème d'atelier", "Encaissements", "Chèques", "Montant encaissé"],
            [[t.name, t.redemptions, t.vouchers, Cents(t.redeemed_cents)]
             for t in stats.themes]),
    }


def _csv_value(value: Any) -> str:
    """A cell as CSV text: euros with a decimal comma, text neutralised."""
    if isinstance(value, Cents):
        return euros_plain(value)
    if isinstance(value, str):
        return spreadsheet_text(value)
    return str(value)


def table_csv(table: Table) -> str:
    """One table as CSV (semicolon-separated, UTF-8 with BOM)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_value(value) for value in row])
    return out.getvalue()


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Cell:
    """A cell: euros as numbers with a euro format, text never read as a formula."""
    if isinstance(value, Cents):
        cell = WriteOnlyCell(sheet, value=int(value) / 100)
        cell.number_format = EURO_FORMAT
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def workbook_xlsx(all_tables: dict[str, Table]) -> bytes:
    """Every table in one workbook, one sheet per table, headers in bold."""
    book = Workbook(write_only=True)
    for table in all_tables.values():
        sheet = book.create_sheet(table.title)
        header = []
        for title in table.headers:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

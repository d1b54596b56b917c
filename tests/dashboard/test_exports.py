"""CSV and XLSX exports of the dashboard, read back and compared with the stats."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from passnum.dashboard.exports import Cents, fill_months, tables
from passnum.dashboard.queries import programme_stats
from tests.dashboard.test_views import login
from tests.dashboard.test_views import seeded as seeded  # the fixture

SHEETS = {"summary": "Synthèse", "months": "Par mois", "structures": "Par structure",
          "venues": "Par lieu", "themes": "Par thème d'atelier"}


def read_csv(body: bytes) -> list[list[str]]:
    """Rows of a semicolon CSV with a BOM."""
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def euros_text(cents: int) -> str:
    """``1234,50``."""
    return f"{cents // 100},{cents % 100:02d}"


def test_csv_tables_equal_the_stats(client, seeded):
    programme_id, deps = seeded["programme_id"], seeded["deps"]
    login(client, "manager78")
    stats = programme_stats(programme_id, departement_id=deps["78"])
    response = client.get("/tableau-de-bord/export.csv?table=structures")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "tableau-de-bord-structures-78" in response.headers["Content-Disposition"]
    rows = read_csv(response.data)
    assert rows[0][:2] == ["Structure", "Département"]
    assert rows[1:] == [[s.name, s.departement, str(s.booklets_allocated),
                         str(s.booklets_issued), str(s.booklets_revoked),
                         str(s.beneficiaries), str(s.vouchers_redeemed),
                         euros_text(s.redeemed_cents)] for s in stats.structures]
    assert {row[1] for row in rows[1:]} == {"78"}
    months = read_csv(client.get("/tableau-de-bord/export.csv?table=months").data)
    assert months[1:] == [[m.month, str(m.booklets_issued),
                           euros_text(m.redeemed_cents)]
                          for m in fill_months(stats.monthly)]
    assert {m.month for m in stats.monthly} <= {row[0] for row in months[1:]}
    themes = read_csv(client.get("/tableau-de-bord/export.csv?table=themes").data)
    assert sum(int(row[2]) for row in themes[1:]) == stats.euros.vouchers_paid
    summary = dict(map(tuple, read_csv(
        client.get("/tableau-de-bord/export.csv?table=summary").data)[1:]))
    assert summary["Chéquiers émis"] == str(stats.booklets.issued)
    assert summary["Montant encaissé"] == euros_text(stats.euros.redeemed_cents)
    assert client.get("/tableau-de-bord/export.csv?table=nope").status_code == 404


def test_manager_export_never_holds_the_other_departement(client, seeded):
    programme_id, deps = seeded["programme_id"], seeded["deps"]
    theirs = {s.name for s in programme_stats(
        programme_id, departement_id=deps["92"]).structures}
    assert theirs
    login(client, "manager78")
    rows = read_csv(client.get(
        "/tableau-de-bord/export.csv?table=structures&departement=92").data)
    assert rows[1:] and not {row[0] for row in rows[1:]} & theirs
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        "/tableau-de-bord/export.xlsx?departement=92").data))
    names = {row[0] for row in book["Par structure"].iter_rows(min_row=2, values_only=True)}
    assert names and not names & theirs


@pytest.mark.parametrize("who", ["admin", "manager92"])
def test_xlsx_has_every_table(client, seeded, who):
    programme_id, deps = seeded["programme_id"], seeded["deps"]
    login(client, who)
    response = client.get("/tableau-de-bord/export.xlsx?start=2024-01-01")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    dep = None if who == "admin" else deps["92"]
    stats = programme_stats(programme_id, departement_id=dep, start=date(2024, 1, 1))
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == list(SHEETS.values())
    for key, table in tables(stats).items():
        sheet = book[SHEETS[key]]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == table.headers
        expected = [[value / 100 if isinstance(value, Cents) else value for value in row]
                    for row in table.rows]
        assert [list(row) for row in rows[1:]] == expected, key
    structures = book["Par structure"]
    amount = structures.cell(row=2, column=8)
    assert amount.number_format == '#,##0.00 "€"'
    total = sum(row[7] for row in structures.iter_rows(min_row=2, values_only=True))
    assert total == pytest.approx(stats.euros.redeemed_cents / 100)
    assert stats.euros.redeemed_cents > 0


def test_formula_like_text_is_neutralised() -> None:
    from passnum.dashboard.exports import Table, table_csv, workbook_xlsx

    table = Table("venues", "Par lieu", ["Lieu"], [["=SUM(A1)"], ["+33 lieu"]])
    rows = read_csv(table_csv(table).encode())
    assert rows[1:] == [["'=SUM(A1)"], ["'+33 lieu"]]
    sheet = openpyxl.load_workbook(io.BytesIO(workbook_xlsx({"venues": table})))["Par lieu"]
    assert sheet.cell(row=2, column=1).data_type == "s"
    assert sheet.cell(row=2, column=1).value == "=SUM(A1)"

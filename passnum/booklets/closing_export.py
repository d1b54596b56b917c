"""The programme's closing report as CSV and as PDF (reportlab), columns as on the page."""

from __future__ import annotations

import csv
import io
from typing import Any, BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from passnum.booklets.expiry import CLOSING_COLUMNS, CLOSING_FIGURES, ClosingReport, ClosingRow
from passnum.core.formatting import date_fr, euros, euros_plain, number, spreadsheet_text
from passnum.core.pdftext import markup, printable

# --- Layout ---------------------------------------------------------------------------
MARGIN = 12 * mm
HEADER_BACKGROUND = colors.HexColor("#e6e6ee")
TITLE = "Rapport de clôture"
RETURN_NOTE = ("Les chèques non utilisés dont le chéquier a dépassé sa date d'échéance sont "
               "expirés : leur valeur n'est pas dépensée et retourne à la subvention.")


def _headers() -> list[str]:
    """Département, then each figure's count and (but for vouchers issued) its value."""
    headers = ["Code", "Département"]
    for index, (_name, label) in enumerate(CLOSING_COLUMNS):
        headers += [label] if index == 0 else [label, f"{label} (valeur)"]
    return headers


def _values(row: ClosingRow) -> list[tuple[int, bool]]:
    """The row's figures in column order: (number, is it cents)."""
    values: list[tuple[int, bool]] = []
    for index, (name, _label) in enumerate(CLOSING_COLUMNS):
        values.append((getattr(row, name), False))
        if index:
            values.append((getattr(row, f"{name}_cents"), True))
    return values


def closing_csv(report: ClosingReport) -> str:
    """The report as CSV (semicolon-separated, UTF-8 with BOM, euros with a comma), one
    line per département and a total line."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(_headers())
    for row in [*report.rows, report.total]:
        writer.writerow([spreadsheet_text(row.code), spreadsheet_text(row.name)] + [
            euros_plain(value) if cents else str(value) for value, cents in _values(row)])
    return out.getvalue()


def _pdf_table(report: ClosingReport) -> Table:
    """The figures per département, a total line last."""
    body: list[list[Any]] = [
        [printable(f"{row.name} ({row.code})" if row.code else row.name)]
        + [printable(euros(value) if cents else number(value)) for value, cents in _values(row)]
        for row in [*report.rows, report.total]]
    style = getSampleStyleSheet()["BodyText"].clone("head", fontName="Helvetica-Bold",
                                                    fontSize=7, leading=8)
    header = [Paragraph(markup(text), style) for text in _headers()[1:]]
    table = Table([header, *body], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 1), (-1, -1), "Helvetica", 7),
        ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 7),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def render_closing(report: ClosingReport, out: BinaryIO) -> None:
    """Write the report as an A4 landscape PDF: title, date, table, definitions."""
    styles = getSampleStyleSheet()
    programme = report.programme
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=MARGIN,
                            rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
                            title=f"{TITLE} — {printable(programme.name)}", author="passnum")
    story: list[Any] = [
        Paragraph(markup(f"{TITLE} — {programme.name}"), styles["Title"]),
        Paragraph(markup(f"Chiffres arrêtés au {date_fr(report.on)} (programme du "
                         f"{date_fr(programme.starts_on)} au {date_fr(programme.ends_on)})."),
                  styles["Normal"]),
        Paragraph(markup(RETURN_NOTE), styles["Normal"]),
        Spacer(1, 4 * mm),
        _pdf_table(report),
        Spacer(1, 4 * mm),
        Paragraph("Définitions", styles["Heading3"]),
    ]
    story += [Paragraph(markup(f"{figure.label} : {figure.definition}"), styles["Normal"])
              for figure in CLOSING_FIGURES]
    doc.build(story)

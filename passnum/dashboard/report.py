"""The funder's PDF report: the dashboard's figures, charts and tables (reportlab)."""

from __future__ import annotations

from typing import Any, BinaryIO

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from passnum.core.formatting import date_fr, euros, number
from passnum.core.pdftext import markup, printable
from passnum.dashboard.exports import Cents, tables
from passnum.dashboard.figures import FIGURES
from passnum.dashboard.presentation import fill_months, forecast_method, period_text
from passnum.dashboard.stats import DashboardStats

# --- Layout ---------------------------------------------------------------------------
MARGIN = 18 * mm
CHART_SIZE = (174 * mm, 62 * mm)
BAR_COLOUR = colors.HexColor("#003b80")
HEADER_BACKGROUND = colors.HexColor("#e6e6ee")
BREAKDOWN_ROWS = 40  # longer breakdowns are in the XLSX export
TITLE = "Pass numérique — rapport au financeur"


def _cell(value: Any) -> str:
    """Amounts in euros, numbers with French thousands separators (Babel)."""
    if isinstance(value, Cents):
        return printable(euros(int(value)))
    if isinstance(value, int):
        return printable(number(value))
    return printable(str(value))  # a table cell is drawn as is: no markup to escape


def _table(headers: list[str], rows: list[list[Any]]) -> Table:
    table = Table([headers, *[[_cell(v) for v in row] for row in rows]], repeatRows=1,
                  hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _bar_chart(title: str, labels: list[str], values: list[float]) -> Drawing:
    """A vector bar chart of a monthly series (values drawn to scale, no raster)."""
    width, height = CHART_SIZE
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 10, title, fontName="Helvetica-Bold", fontSize=9))
    chart = VerticalBarChart()
    chart.x, chart.y = 30, 18
    chart.width, chart.height = round(width - 40), round(height - 40)  # whole points
    chart.data = [values or [0]]
    chart.bars[0].fillColor = BAR_COLOUR
    chart.bars[0].strokeColor = None
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    step = max(1, len(labels) // 8)
    chart.categoryAxis.categoryNames = [lab if i % step == 0 else "" for i, lab in
                                        enumerate(labels)] or [""]
    chart.categoryAxis.labels.fontSize = 6
    drawing.add(chart)
    return drawing


def render_report(stats: DashboardStats, out: BinaryIO, *, scope: str) -> None:
    """Write the report of ``stats``; ``scope`` names the départements."""
    styles = getSampleStyleSheet()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, title=TITLE,
                            author="passnum")
    programme = stats.programme
    every = tables(stats)
    months = fill_months(stats.monthly)
    labels = [m.month for m in months]
    story: list[Any] = [
        Paragraph(markup(TITLE), styles["Title"]),
        Paragraph(markup(f"{programme.name} — {scope}"), styles["Heading2"]),
        Paragraph(markup(f"Programme du {date_fr(programme.starts_on)} au "
                         f"{date_fr(programme.ends_on)}. Chiffres arrêtés au "
                         f"{date_fr(stats.day)}{period_text(stats.period)}."),
                  styles["Normal"]),
        Spacer(1, 4 * mm),
        Paragraph("Synthèse", styles["Heading3"]),
        _table(every["summary"].headers, every["summary"].rows),
        Spacer(1, 3 * mm),
        Paragraph(markup(forecast_method(stats.forecast)), styles["Italic"]),
        Spacer(1, 4 * mm),
        _bar_chart("Chéquiers émis par mois", labels, [m.booklets_issued for m in months]),
        _bar_chart("Montant encaissé par mois (euros)", labels,
                   [m.redeemed_cents / 100 for m in months]),
    ]
    for key in ("structures", "venues", "themes"):
        table = every[key]
        story += [Paragraph(markup(table.title), styles["Heading3"]),
                  _table(table.headers, table.rows[:BREAKDOWN_ROWS])]
        if len(table.rows) > BREAKDOWN_ROWS:
            story.append(Paragraph(f"… et {len(table.rows) - BREAKDOWN_ROWS} autres lignes "
                                   "dans l'export XLSX.", styles["Italic"]))
    story.append(Paragraph("Définitions", styles["Heading3"]))
    story += [Paragraph(markup(f"{figure.label} : {figure.definition}"), styles["Normal"])
              for figure in FIGURES]
    doc.build(story)

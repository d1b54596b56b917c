"""The statement PDF (reportlab): a pure renderer, no request and no writes.

Every statement opens with its issuer (the syndicate's name and address, from the
configuration); a draft carries "PROJET" across every page, so that a printed draft is
never taken for the validated statement.

Drawn row by row on the canvas rather than as one platypus table, so a statement of
several thousand vouchers renders in linear time; page numbers ("page 3 / 12") are
written when the document is saved, once the page count is known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from passnum.core.formatting import date_fr, datetime_fr, euros, format_iban
from passnum.core.pdftext import fit, printable
from passnum.statements import queries
from passnum.statements.models import Statement, StatementAdjustment, StatementStatus

# --- Layout ---------------------------------------------------------------------------
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 16 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
FONT, FONT_BOLD = "Helvetica", "Helvetica-Bold"
TITLE_SIZE, HEADING_SIZE, TEXT_SIZE, SMALL_SIZE = 15, 11, 9, 7.5
LEADING = 1.35
ROW_HEIGHT = 4.6 * mm
FOOTER_Y = MARGIN - 6 * mm
BOTTOM = MARGIN + 4 * mm
LABEL_WIDTH = 38 * mm
# table columns: left edges (amount right-aligned on the content's right edge)
COL_DATE, COL_WORKSHOP, COL_SERIAL = 0, 30 * mm, 112 * mm
WORKSHOP_WIDTH = COL_SERIAL - COL_WORKSHOP - 3 * mm
TITLE = "Relevé de remboursement — Pass numérique"
DRAFT_NOTE = "Brouillon : document provisoire, susceptible d'évoluer jusqu'à sa validation."
TABLE_HEADERS = ("Date et heure", "Atelier", "N° de chèque", "Montant")
WATERMARK, WATERMARK_SIZE, WATERMARK_ANGLE = "PROJET", 120, 45
WATERMARK_GRAY, WATERMARK_ALPHA = 0.5, 0.18


@dataclass(frozen=True)
class Issuer:
    """Who issues the statements: the syndicate's name and one-line address."""

    name: str
    address: str


class _NumberedCanvas(Canvas):
    """A canvas that keeps its pages until ``save`` to print "page n / total" on each."""

    def __init__(self, *args: Any, footer: str = "", watermark: str = "",
                 **kwargs: Any) -> None:
        """Remember the footer text and the watermark (none if empty); pages are kept
        until saved."""
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict[str, Any]] = []
        self._footer = footer
        self._watermark = watermark

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        """Keep the finished page instead of writing it now."""
        self._saved_pages.append(dict(self.__dict__))
        # reportlab's page-count recipe; its stubs leave out this (private) method
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        """Write every page with its footer, then the file."""
        total = len(self._saved_pages)
        for number, state in enumerate(self._saved_pages, start=1):
            self.__dict__.update(state)
            if self._watermark:
                self._draw_watermark()
            self.setFont(FONT, SMALL_SIZE)
            self.drawString(MARGIN, FOOTER_Y, printable(self._footer))
            self.drawRightString(PAGE_WIDTH - MARGIN, FOOTER_Y, f"Page {number} / {total}")
            Canvas.showPage(self)
        Canvas.save(self)

    def _draw_watermark(self) -> None:
        """The watermark across the page, light and translucent over the content."""
        self.saveState()
        self.setFillGray(WATERMARK_GRAY)
        self.setFillAlpha(WATERMARK_ALPHA)
        self.setFont(FONT_BOLD, WATERMARK_SIZE)
        self.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        self.rotate(WATERMARK_ANGLE)
        self.drawCentredString(0, -WATERMARK_SIZE / 3, self._watermark)
        self.restoreState()


@dataclass
class _Cursor:
    """Where the next line goes; opens a new page (with the table header) when full."""

    canvas: Canvas
    heading: str
    y: float = PAGE_HEIGHT - MARGIN

    def need(self, height: float, *, table: bool = False) -> None:
        """Make room for ``height`` points, on a new page if needed."""
        if self.y - height >= BOTTOM:
            return
        self.canvas.showPage()
        self.y = PAGE_HEIGHT - MARGIN
        self.canvas.setFont(FONT, SMALL_SIZE)
        self.canvas.drawString(MARGIN, self.y - SMALL_SIZE, printable(self.heading))
        self.y -= SMALL_SIZE * 2.5
        if table:
            _table_header(self)

    def text(self, value: str, *, font: str = FONT, size: float = TEXT_SIZE,
             x: float = 0) -> None:
        """One line of text at the left (plus ``x``)."""
        self.need(size * LEADING)
        self.y -= size * LEADING
        self.canvas.setFont(font, size)
        self.canvas.drawString(MARGIN + x, self.y, fit(value, font, size, CONTENT_WIDTH - x))


def render_statement(statement: Statement, lines: Iterable[queries.LineRow],
                     adjustments: list[StatementAdjustment], out: BinaryIO, *,
                     issuer: Issuer) -> None:
    """Write the statement: issuer, identity, summary, every voucher, adjustments and
    totals; a draft is watermarked "PROJET" on every page.

    ``lines`` is consumed once, lazily (stream it from ``queries.statement_lines``).
    """
    ref = queries.reference(statement)
    draft = statement.status == StatementStatus.DRAFT
    canvas = _NumberedCanvas(out, pagesize=A4, pageCompression=1,
                             footer=f"{ref} — {statement.venue.name}",
                             watermark=WATERMARK if draft else "")
    canvas.setTitle(f"Relevé {ref}")
    canvas.setAuthor("Pass numérique")
    canvas.setCreator("passnum")
    cursor = _Cursor(canvas, f"{ref} — {statement.venue.name} — "
                             f"{queries.period_label(statement.period_start)} (suite)")
    _draw_issuer(cursor, issuer)
    _draw_head(cursor, statement, ref)
    _draw_lines(cursor, lines)
    _draw_adjustments(cursor, adjustments)
    _draw_totals(cursor, statement)
    canvas.showPage()
    canvas.save()


def _facts(statement: Statement) -> list[tuple[str, str]]:
    venue = statement.venue
    address = ", ".join(p for p in (venue.address.replace("\n", " ").strip(),
                                    f"{venue.postal_code} {venue.commune}".strip()) if p)
    rows = [
        ("Lieu labellisé", venue.name),
        ("Adresse", address or "—"),
        ("SIRET", venue.siret or "non renseigné"),
        ("IBAN", format_iban(venue.iban) or "non renseigné"),
        ("Département payeur", f"{statement.departement.name} ({statement.departement.code})"),
        ("Période", f"{queries.period_label(statement.period_start)} (du "
                    f"{date_fr(statement.period_start)} au "
                    f"{date_fr(statement.period_end - timedelta(days=1))})"),
        ("Statut", queries.STATUS_LABELS[StatementStatus(statement.status)]),
        ("Généré le", datetime_fr(statement.generated_at) or "—"),
    ]
    if statement.validated_at:
        rows.append(("Validé le", datetime_fr(statement.validated_at)))
    if statement.paid_on:
        rows.append(("Payé le", f"{date_fr(statement.paid_on)} — référence "
                                f"{statement.payment_reference}"))
    return rows


def _draw_issuer(cursor: _Cursor, issuer: Issuer) -> None:
    """The issuer's name and address, above the title."""
    cursor.text(issuer.name, font=FONT_BOLD)
    cursor.text(issuer.address, size=SMALL_SIZE)
    cursor.y -= 4 * mm


def _draw_head(cursor: _Cursor, statement: Statement, ref: str) -> None:
    canvas = cursor.canvas
    cursor.y -= TITLE_SIZE
    canvas.setFont(FONT_BOLD, TITLE_SIZE)
    canvas.drawString(MARGIN, cursor.y, printable(TITLE))
    cursor.text(f"Référence : {ref}", font=FONT_BOLD, size=HEADING_SIZE)
    if statement.status == StatementStatus.DRAFT:
        cursor.text(DRAFT_NOTE, font="Helvetica-Oblique")
    cursor.y -= 2 * mm
    for label, value in _facts(statement):
        cursor.need(TEXT_SIZE * LEADING)
        cursor.y -= TEXT_SIZE * LEADING
        canvas.setFont(FONT_BOLD, TEXT_SIZE)
        canvas.drawString(MARGIN, cursor.y, printable(label))
        canvas.setFont(FONT, TEXT_SIZE)
        canvas.drawString(MARGIN + LABEL_WIDTH, cursor.y,
                          fit(value, FONT, TEXT_SIZE, CONTENT_WIDTH - LABEL_WIDTH))
    cursor.y -= 4 * mm
    cursor.text(f"Chèques encaissés ({statement.voucher_count})", font=FONT_BOLD,
                size=HEADING_SIZE)
    cursor.y -= 1 * mm
    _table_header(cursor)


def _table_header(cursor: _Cursor) -> None:
    canvas = cursor.canvas
    cursor.y -= ROW_HEIGHT
    canvas.setFont(FONT_BOLD, TEXT_SIZE)
    for x, label in zip((COL_DATE, COL_WORKSHOP, COL_SERIAL), TABLE_HEADERS, strict=False):
        canvas.drawString(MARGIN + x, cursor.y, label)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, cursor.y, TABLE_HEADERS[-1])
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, cursor.y - 1.5 * mm, PAGE_WIDTH - MARGIN, cursor.y - 1.5 * mm)
    cursor.y -= 1.5 * mm


def _draw_lines(cursor: _Cursor, lines: Iterable[queries.LineRow]) -> None:
    canvas = cursor.canvas
    empty = True
    for line in lines:
        empty = False
        cursor.need(ROW_HEIGHT, table=True)
        cursor.y -= ROW_HEIGHT
        canvas.setFont(FONT, TEXT_SIZE)
        canvas.drawString(MARGIN + COL_DATE, cursor.y, datetime_fr(line.redeemed_at))
        canvas.drawString(MARGIN + COL_WORKSHOP, cursor.y,
                          fit(line.workshop, FONT, TEXT_SIZE, WORKSHOP_WIDTH))
        canvas.drawString(MARGIN + COL_SERIAL, cursor.y, printable(line.serial))
        canvas.drawRightString(PAGE_WIDTH - MARGIN, cursor.y, printable(euros(line.value_cents)))
    if empty:
        cursor.text("Aucun chèque sur ce relevé.", font="Helvetica-Oblique")


def _draw_adjustments(cursor: _Cursor, adjustments: list[StatementAdjustment]) -> None:
    if not adjustments:
        return
    cursor.y -= 4 * mm
    cursor.text(f"Régularisations ({len(adjustments)})", font=FONT_BOLD, size=HEADING_SIZE)
    canvas = cursor.canvas
    for adjustment in adjustments:
        head = (f"{date_fr(adjustment.created_at.date())} — corrige le relevé "
                f"{queries.reference(adjustment.corrects)}")
        cursor.need(ROW_HEIGHT)
        cursor.y -= ROW_HEIGHT
        canvas.setFont(FONT_BOLD, TEXT_SIZE)
        canvas.drawString(MARGIN, cursor.y, printable(head))
        amount = printable(euros(adjustment.amount_cents))
        canvas.drawRightString(PAGE_WIDTH - MARGIN, cursor.y, amount)
        for part in simpleSplit(printable(f"Motif : {adjustment.reason}"), FONT, TEXT_SIZE,
                                CONTENT_WIDTH - 30 * mm)[:8]:
            cursor.text(part, x=4 * mm)


def _draw_totals(cursor: _Cursor, statement: Statement) -> None:
    rows = [(f"Chèques ({statement.voucher_count})", statement.total_cents),
            ("Régularisations", statement.adjustment_cents),
            ("Montant dû au lieu", queries.amount_due(statement))]
    cursor.need(len(rows) * ROW_HEIGHT + 8 * mm)
    cursor.y -= 4 * mm
    canvas = cursor.canvas
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, cursor.y, PAGE_WIDTH - MARGIN, cursor.y)
    for index, (label, cents) in enumerate(rows):
        cursor.y -= ROW_HEIGHT
        font = FONT_BOLD if index == len(rows) - 1 else FONT
        canvas.setFont(font, HEADING_SIZE if index == len(rows) - 1 else TEXT_SIZE)
        canvas.drawString(MARGIN, cursor.y, printable(label))
        canvas.drawRightString(PAGE_WIDTH - MARGIN, cursor.y, printable(euros(cents)))

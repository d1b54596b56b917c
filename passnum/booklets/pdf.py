"""Printable booklets: a cover page, then the vouchers as cut-out strips (A4).

A pure renderer: it reads the booklets it is given and the app config (``BASE_URL``,
the voucher keys), and writes nothing but the PDF. Everything is black on white so a
booklet prints on any office printer. QR codes are vector paths (one filled path per
code), sharp at any print resolution and cheap to draw.

Pages stream out one by one through ``PdfWriter``, so a batch of thousands of booklets
prints in constant memory. What all covers, or all voucher strips, have in common is
drawn once per document as a form and placed on each page; a page itself only holds
its booklet's own facts and QR codes. Text is measured with reportlab's font metrics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from flask import current_app
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from passnum.booklets.models import Booklet, Voucher
from passnum.booklets.pdfwriter import Content, PdfWriter
from passnum.core.codes import group
from passnum.core.formatting import date_fr, datetime_fr, distance_fr, euros
from passnum.core.pdftext import fit
from passnum.core.qr import qr_path
from passnum.core.signing import sign_serial, voucher_url
from passnum.venues.models import Venue

# --- Layout (points; A4 portrait) -----------------------------------------------------
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 14 * mm
MARGIN_Y = 12 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
FONT_CODE = "Courier-Bold"

# The standard fonts print Windows-1252; other letters fall back (see ``core.pdftext.printable``).

# Cover
COVER_TITLE_SIZE = 28
COVER_SUBTITLE_SIZE = 13
COVER_HEADING_SIZE = 13
COVER_TEXT_SIZE = 10.5
COVER_SMALL_SIZE = 8.5
COVER_LEADING = 1.35  # line height as a multiple of the font size
COVER_LABEL_WIDTH = 34 * mm
COVER_BOX_PADDING = 4 * mm
COVER_STEP_INDENT = 7 * mm
COVER_VENUE_GAP = 2.5 * mm
COVER_FOOTER_Y = MARGIN_Y
COVER_TITLE_Y = PAGE_HEIGHT - MARGIN_Y - COVER_TITLE_SIZE
COVER_PROGRAMME_Y = COVER_TITLE_Y - COVER_SUBTITLE_SIZE * 1.8
COVER_BOX_TOP = COVER_PROGRAMME_Y - 7 * mm
COVER_BOX_LINE = COVER_TEXT_SIZE * 1.7

# Vouchers: horizontal strips separated by dashed cut lines
VOUCHERS_PER_PAGE = 5
VOUCHER_HEADER_SIZE = 7.5
VOUCHER_AREA_TOP = PAGE_HEIGHT - MARGIN_Y - 4 * mm  # room for the page header
VOUCHER_HEIGHT = (VOUCHER_AREA_TOP - MARGIN_Y) / VOUCHERS_PER_PAGE
VOUCHER_PADDING = 6 * mm
QR_SIZE = VOUCHER_HEIGHT - 2 * VOUCHER_PADDING
QR_TEXT_GAP = 7 * mm
VOUCHER_TITLE_SIZE = 13
VOUCHER_VALUE_SIZE = 26
VOUCHER_TEXT_SIZE = 9.5
VOUCHER_CODE_SIZE = 14
VOUCHER_NOTE_SIZE = 7.5
CUT_DASH = (4, 3)
CUT_LINE_WIDTH = 0.5
CUT_LABEL_SIZE = 6

# Forms: what every page of a kind shares, written once per document
COVER_FORM = b"Cover"  # the cover below the booklet's own facts
STRIP_FORM = b"Strip"  # one voucher strip without its voucher's own data

# --- French text ----------------------------------------------------------------------
PROGRAMME_TITLE = "Pass numérique"
STOCK_BENEFICIARY = "Chéquier en stock — à remettre"
REPLACES_TEXT = "remplace le n°"
COVER_LABELS = ("Bénéficiaire", "Structure", "Chéquier n°", "Validité", "Contenu")
# two more rows when the document carries a booked first workshop
BOOKING_LABELS = ("Premier atelier", "Lieu de l'atelier")
NO_BOOKING_TEXT = "aucun atelier réservé"
# the venue list: the nearest, with their distance, when the person's commune and the
# venues' positions give one; else the beneficiary's commune first (when known), then
# the département
VENUES_HEADING = {"nearest": "Lieux labellisés les plus proches de chez vous",
                  "commune": "Lieux labellisés de votre commune, puis du département",
                  "departement": "Lieux labellisés du département"}
# the distances start from the person's commune, placed by GeoNames (docs/communes.md)
POSITIONS_CREDIT = "Positions des communes : GeoNames (CC BY 4.0)"
VENUES_STEP = {
    "nearest": "Choisissez un lieu labellisé Pass numérique : la liste ci-dessous donne les "
               "plus proches de votre commune (distance à vol d'oiseau) ; le site indiqué "
               f"plus bas les donne tous, avec leurs ateliers. {POSITIONS_CREDIT}.",
    "commune": "Choisissez un lieu labellisé Pass numérique : la liste ci-dessous donne ceux "
               "de votre commune, puis d'autres lieux du département ; le site indiqué plus "
               "bas les donne tous, avec leurs ateliers.",
    "departement": "Choisissez un lieu labellisé Pass numérique : la liste ci-dessous donne "
                   "des lieux du département ; le site indiqué plus bas les donne tous, avec "
                   "leurs ateliers.",
}
HOW_TO_STEPS = (
    "Inscrivez-vous à un atelier, puis présentez votre chèque le jour de l'atelier.",
    "Le lieu scanne le QR code du chèque (ou saisit son code manuel) pour l'encaisser.",
    "Chaque chèque ne s'utilise qu'une seule fois, avant sa date de fin de validité.",
    "Conservez votre chéquier en lieu sûr. En cas de perte ou de vol, prévenez sans "
    "attendre votre travailleur social : les chèques seront annulés et un nouveau "
    "chéquier pourra vous être remis.",
)
COVER_FOOTER = (
    "Chéquier nominatif et gratuit : il ne peut être ni vendu, ni échangé contre de l'argent."
)
NO_VENUE_TEXT = "La liste des lieux labellisés est disponible à l'adresse ci-dessous."
VOUCHER_NOTES = (
    "Chèque utilisable une seule fois, dans un lieu labellisé Pass numérique.",
    "Le QR code peut aussi être scanné avec l'appareil photo d'un téléphone.",
)
CUT_LABEL = "découper ici"
CODE_LABEL = "Code manuel :"

# --- Voucher strip positions ----------------------------------------------------------
# A strip's coordinates: x from the page's left edge, y from the strip's top edge (so
# the strip's own content sits below 0), the strip placed at its top on the page.
STRIP_TEXT_X = MARGIN_X + VOUCHER_PADDING + QR_SIZE + QR_TEXT_GAP
STRIP_RIGHT = PAGE_WIDTH - MARGIN_X - VOUCHER_PADDING
STRIP_TITLE_Y = -VOUCHER_PADDING - VOUCHER_TITLE_SIZE
STRIP_SERIAL_Y = STRIP_TITLE_Y - VOUCHER_TEXT_SIZE * 1.9
STRIP_CODE_Y = STRIP_SERIAL_Y - VOUCHER_CODE_SIZE * 1.3
STRIP_CODE_X = STRIP_TEXT_X + stringWidth(CODE_LABEL, FONT, VOUCHER_TEXT_SIZE) + 2 * mm
STRIP_EXPIRY_Y = STRIP_CODE_Y - VOUCHER_TEXT_SIZE * 1.6


@dataclass(frozen=True)
class CoverBooking:
    """A workshop booked for the booklet's holder, as printed on its cover."""

    title: str
    starts_at: datetime
    venue_name: str
    address: str  # street, postal code and commune, as one line


def render_booklets(
    booklets: Iterable[Booklet], out: BinaryIO, *, nearby_venues: Sequence[Venue] = (),
    commune_first: bool = False, distances_km: Sequence[float | None] = (),
    bookings: Mapping[int, CoverBooking] | None = None,
) -> None:
    """Write one PDF with, for each booklet, its cover page then its voucher pages.

    ``booklets`` is consumed once, lazily, so a caller may stream them from a query;
    each page is written to ``out`` as soon as it is drawn, and nothing of a booklet is
    kept once its pages are out. ``nearby_venues`` are listed on every cover: with
    ``distances_km`` (in the same order, None where unknown) as the nearest, each with
    its distance; else as the beneficiary's commune's then the département's with
    ``commune_first``, as the département's otherwise. ``bookings`` (by booklet id):
    the first workshop booked for a booklet's holder, printed in its cover's box. Needs
    an app context (config only).
    """
    base_url = current_app.config["BASE_URL"].rstrip("/")
    bookings = bookings or {}
    rows = len(COVER_LABELS) + (len(BOOKING_LABELS) if bookings else 0)
    mode = ("nearest" if any(d is not None for d in distances_km)
            else "commune" if commune_first else "departement")
    writer = PdfWriter(out, page_size=A4, title=f"Chéquiers {PROGRAMME_TITLE}",
                       author=PROGRAMME_TITLE, creator="passnum")
    writer.add_form(COVER_FORM, _cover_frame(nearby_venues, distances_km, base_url, mode,
                                             rows), (0, 0, PAGE_WIDTH, PAGE_HEIGHT))
    writer.add_form(STRIP_FORM, _strip_frame(),
                    (0, -VOUCHER_HEIGHT, PAGE_WIDTH, CUT_LABEL_SIZE))
    for booklet in booklets:
        booking = bookings.get(booklet.id) if bookings else None
        writer.add_page(_cover_page(booklet, booking, with_booking=bool(bookings)))
        vouchers = list(booklet.vouchers)
        for first in range(0, len(vouchers), VOUCHERS_PER_PAGE):
            page = vouchers[first : first + VOUCHERS_PER_PAGE]
            writer.add_page(_voucher_page(booklet, page, first, len(vouchers)))
    writer.close()


# --- Cover ----------------------------------------------------------------------------


def _cover_page(booklet: Booklet, booking: CoverBooking | None, *,
                with_booking: bool) -> Content:
    """The cover of ``booklet``: its own facts (and, ``with_booking``, its holder's
    booked workshop) at the top, then the shared cover form."""
    page = Content()
    page.text(MARGIN_X, COVER_TITLE_Y, PROGRAMME_TITLE, FONT_BOLD, COVER_TITLE_SIZE)
    page.text_right(PAGE_WIDTH - MARGIN_X, COVER_TITLE_Y, f"Chéquier n° {booklet.number}",
                    FONT_BOLD, COVER_SUBTITLE_SIZE)
    page.text(MARGIN_X, COVER_PROGRAMME_Y,
              fit(booklet.programme.name, FONT, COVER_SUBTITLE_SIZE, CONTENT_WIDTH),
              FONT, COVER_SUBTITLE_SIZE)
    labels: tuple[str, ...] = COVER_LABELS
    values = _booklet_values(booklet)
    if with_booking:
        labels, values = (*labels, *BOOKING_LABELS), [*values, *_booking_values(booking)]
    _draw_identity_box(page, labels, values)
    page.place(COVER_FORM)
    return page


def _booking_values(booking: CoverBooking | None) -> list[str]:
    """The booked workshop's rows of the cover's box, in the order of ``BOOKING_LABELS``."""
    if booking is None:
        return [NO_BOOKING_TEXT, ""]
    return [f"{datetime_fr(booking.starts_at)} — {booking.title}",
            f"{booking.venue_name}, {booking.address}"]


def _cover_frame(venues: Sequence[Venue], distances: Sequence[float | None], base_url: str,
                 mode: str, rows: int) -> Content:
    """What every cover of a document shares: how to use the booklet, and where."""
    frame = Content()
    y = _draw_heading(frame, "Comment utiliser votre chéquier",
                      COVER_BOX_TOP - _identity_box_height(rows) - 8 * mm)
    y = _draw_steps(frame, (VENUES_STEP[mode], *HOW_TO_STEPS), y)
    y = _draw_heading(frame, VENUES_HEADING[mode], y - 6 * mm)
    y = _draw_venues(frame, venues, distances, y, COVER_FOOTER_Y + 16 * mm)
    _draw_directory_link(frame, base_url, max(y - 5 * mm, COVER_FOOTER_Y + 8 * mm))
    frame.text(MARGIN_X, COVER_FOOTER_Y, COVER_FOOTER, FONT, COVER_SMALL_SIZE)
    return frame


def _booklet_values(booklet: Booklet) -> list[str]:
    """The facts of the cover's box, in the order of ``COVER_LABELS``."""
    vouchers = booklet.vouchers
    values = {voucher.value_cents for voucher in vouchers}
    total = sum(voucher.value_cents for voucher in vouchers)
    each = f" de {euros(values.pop())}" if len(values) == 1 else ""
    beneficiary = booklet.beneficiary
    return [
        beneficiary.display_name if beneficiary else STOCK_BENEFICIARY,
        booklet.structure.name,
        _number(booklet),
        f"du {date_fr(booklet.valid_from)} au {date_fr(booklet.expires_on)}",
        f"{_count(len(vouchers), 'chèque')}{each}, valeur totale {euros(total)}",
    ]


def _number(booklet: Booklet) -> str:
    """The booklet's number; a replacement names the booklet whose vouchers it carries."""
    if booklet.replaces_booklet_id is None:
        return booklet.number
    return f"{booklet.number} ({REPLACES_TEXT} {booklet.replaces.number})"


def _count(number: int, noun: str) -> str:
    """``1 chèque``, ``10 chèques``."""
    return f"{number} {noun}{'s' if number > 1 else ''}"


def _identity_box_height(rows: int = len(COVER_LABELS)) -> float:
    """Height of the framed box of booklet facts, with ``rows`` rows."""
    return rows * COVER_BOX_LINE + 2 * COVER_BOX_PADDING - (COVER_BOX_LINE - COVER_TEXT_SIZE)


def _draw_identity_box(page: Content, labels: Sequence[str], values: Sequence[str]) -> None:
    """Draw the framed box of booklet facts, labels left and values in bold."""
    height = _identity_box_height(len(labels))
    page.rect(MARGIN_X, COVER_BOX_TOP - height, CONTENT_WIDTH, height, line=1)
    y = COVER_BOX_TOP - COVER_BOX_PADDING - COVER_TEXT_SIZE
    value_x = MARGIN_X + COVER_BOX_PADDING + COVER_LABEL_WIDTH
    value_width = MARGIN_X + CONTENT_WIDTH - value_x
    for label, value in zip(labels, values, strict=True):
        page.text(MARGIN_X + COVER_BOX_PADDING, y, f"{label} :", FONT, COVER_TEXT_SIZE)
        page.text(value_x, y, fit(value, FONT_BOLD, COVER_TEXT_SIZE, value_width),
                  FONT_BOLD, COVER_TEXT_SIZE)
        y -= COVER_BOX_LINE


def _draw_heading(frame: Content, text: str, top: float) -> float:
    """Draw a section heading with a rule under it; return the y under it."""
    y = top - COVER_HEADING_SIZE
    frame.text(MARGIN_X, y, text, FONT_BOLD, COVER_HEADING_SIZE)
    frame.line(MARGIN_X, y - 2 * mm, PAGE_WIDTH - MARGIN_X, y - 2 * mm, width=0.6)
    return y - 4 * mm


def _draw_steps(frame: Content, steps: Sequence[str], top: float) -> float:
    """Draw the numbered how-to steps; return the y under them."""
    leading = COVER_TEXT_SIZE * COVER_LEADING
    width = CONTENT_WIDTH - COVER_STEP_INDENT
    y = top - COVER_TEXT_SIZE
    for number, step in enumerate(steps, 1):
        frame.text(MARGIN_X, y, f"{number}.", FONT_BOLD, COVER_TEXT_SIZE)
        for line in simpleSplit(step, FONT, COVER_TEXT_SIZE, width):
            frame.text(MARGIN_X + COVER_STEP_INDENT, y, line, FONT, COVER_TEXT_SIZE)
            y -= leading
        y -= leading * 0.3
    return y + leading - COVER_TEXT_SIZE


def _draw_venues(frame: Content, venues: Sequence[Venue], distances: Sequence[float | None],
                 top: float, bottom: float) -> float:
    """List the venues in two columns, as many as fit above ``bottom``, each with its
    distance when ``distances`` gives one; return the y under."""
    line = COVER_TEXT_SIZE * COVER_LEADING
    y = top - COVER_TEXT_SIZE
    if not venues:
        frame.text(MARGIN_X, y, NO_VENUE_TEXT, FONT, COVER_TEXT_SIZE)
        return y - line
    column_width = (CONTENT_WIDTH - 6 * mm) / 2
    entry_height = 3 * line + COVER_VENUE_GAP
    for index, venue in enumerate(venues):
        row, column = divmod(index, 2)
        entry_y = y - row * entry_height
        if entry_y - 2 * line < bottom:
            break
        x = MARGIN_X + column * (column_width + 6 * mm)
        distance = distances[index] if index < len(distances) else None
        _draw_venue(frame, venue, distance, x, entry_y, column_width)
    rows = (len(venues) + 1) // 2
    return max(y - rows * entry_height + line, bottom)


def _draw_venue(frame: Content, venue: Venue, distance: float | None, x: float, y: float,
                width: float) -> None:
    """Draw one venue: name, street address, postal code, commune and distance."""
    line = COVER_TEXT_SIZE * COVER_LEADING
    frame.text(x, y, fit(venue.name, FONT_BOLD, COVER_TEXT_SIZE, width),
               FONT_BOLD, COVER_TEXT_SIZE)
    if venue.address:
        frame.text(x, y - line, fit(venue.address, FONT, COVER_TEXT_SIZE, width),
                   FONT, COVER_TEXT_SIZE)
    town = " ".join(part for part in (venue.postal_code, venue.commune) if part)
    if distance is not None:
        town = f"{town} · {distance_fr(distance)}" if town else distance_fr(distance)
    frame.text(x, y - 2 * line, fit(town, FONT, COVER_TEXT_SIZE, width),
               FONT, COVER_TEXT_SIZE)


def _draw_directory_link(frame: Content, base_url: str, top: float) -> None:
    """Point to the public list of every labelled venue."""
    y = top - COVER_TEXT_SIZE
    frame.text(MARGIN_X, y, "Tous les lieux labellisés et leurs ateliers :",
               FONT, COVER_TEXT_SIZE)
    frame.text(MARGIN_X, y - COVER_SUBTITLE_SIZE * 1.4,
               fit(f"{base_url}/lieux", FONT_BOLD, COVER_SUBTITLE_SIZE, CONTENT_WIDTH),
               FONT_BOLD, COVER_SUBTITLE_SIZE)


# --- Vouchers -------------------------------------------------------------------------


def _strip_frame() -> Content:
    """What every voucher strip shares: the cut line above it, its title and notes."""
    frame = Content()
    _draw_cut_line(frame, 0)
    frame.text(STRIP_TEXT_X, STRIP_TITLE_Y, PROGRAMME_TITLE.upper(), FONT_BOLD,
               VOUCHER_TITLE_SIZE)
    note_y = -VOUCHER_HEIGHT + VOUCHER_PADDING + VOUCHER_NOTE_SIZE * 0.3
    for offset, note in enumerate(reversed(VOUCHER_NOTES)):
        frame.text(STRIP_TEXT_X, note_y + offset * VOUCHER_NOTE_SIZE * 1.3, note, FONT,
                   VOUCHER_NOTE_SIZE)
    return frame


def _voucher_page(
    booklet: Booklet, vouchers: Sequence[Voucher], first: int, total: int
) -> Content:
    """Up to ``VOUCHERS_PER_PAGE`` vouchers as strips, with cut lines between them."""
    page = Content()
    page.text_right(
        PAGE_WIDTH - MARGIN_X,
        VOUCHER_AREA_TOP + 2.5 * mm,
        f"{PROGRAMME_TITLE} — chéquier n° {booklet.number} — chèques {first + 1} à "
        f"{first + len(vouchers)} sur {total}",
        FONT, VOUCHER_HEADER_SIZE,
    )
    for index, voucher in enumerate(vouchers):
        top = VOUCHER_AREA_TOP - index * VOUCHER_HEIGHT
        page.place(STRIP_FORM, y=top)
        _draw_voucher(page, booklet, voucher, top, total)
    _draw_cut_line(page, VOUCHER_AREA_TOP - len(vouchers) * VOUCHER_HEIGHT)
    return page


def _draw_voucher(page: Content, booklet: Booklet, voucher: Voucher, top: float,
                  total: int) -> None:
    """Draw one voucher's own data in the strip whose top edge is at ``top``."""
    size, path = qr_path(voucher_url(sign_serial(voucher.serial)))
    page.fill_path(path, scale=QR_SIZE / size, x=MARGIN_X + VOUCHER_PADDING,
                   y=top - VOUCHER_PADDING - QR_SIZE)
    value_y = top + STRIP_TITLE_Y - VOUCHER_VALUE_SIZE + VOUCHER_TITLE_SIZE
    page.text_right(STRIP_RIGHT, value_y, euros(voucher.value_cents), FONT_BOLD,
                    VOUCHER_VALUE_SIZE)
    page.text_right(STRIP_RIGHT, top + STRIP_TITLE_Y - VOUCHER_VALUE_SIZE - 1.5 * mm,
                    f"chèque {voucher.position} sur {total}", FONT, VOUCHER_TEXT_SIZE)
    page.text(STRIP_TEXT_X, top + STRIP_SERIAL_Y, f"Chèque n° {voucher.serial}", FONT,
              VOUCHER_TEXT_SIZE)
    page.text(STRIP_TEXT_X, top + STRIP_CODE_Y, CODE_LABEL, FONT, VOUCHER_TEXT_SIZE)
    page.text(STRIP_CODE_X, top + STRIP_CODE_Y, group(voucher.manual_code), FONT_CODE,
              VOUCHER_CODE_SIZE)
    page.text(STRIP_TEXT_X, top + STRIP_EXPIRY_Y, f"Valable jusqu'au {date_fr(booklet.expires_on)}",
              FONT_BOLD, VOUCHER_TEXT_SIZE)
    page.text(STRIP_TEXT_X, top + STRIP_EXPIRY_Y - VOUCHER_TEXT_SIZE * 1.4,
              f"Chéquier n° {booklet.number}", FONT, VOUCHER_TEXT_SIZE)


def _draw_cut_line(content: Content, y: float) -> None:
    """A dashed line across the page with a small "cut here" label at its left end."""
    label_width = stringWidth(CUT_LABEL, FONT, CUT_LABEL_SIZE) + 2 * mm
    content.line(MARGIN_X + label_width, y, PAGE_WIDTH - MARGIN_X, y, width=CUT_LINE_WIDTH,
                 dash=CUT_DASH)
    content.text(MARGIN_X, y - CUT_LABEL_SIZE * 0.35, CUT_LABEL, FONT, CUT_LABEL_SIZE)

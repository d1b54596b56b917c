"""Printable booklets: a cover page, then the vouchers as cut-out strips (A4, reportlab).

A pure renderer: it reads the booklets it is given and the app config (``BASE_URL``,
the voucher keys), and writes nothing but the PDF. Everything is black on white so a
booklet prints on any office printer. QR codes are vector paths (one filled path per
code), sharp at any print resolution and cheap to draw.

The ``qrcode`` package computes each code's modules. Its own mask choice builds and
scores eight full candidates in pure Python, four fifths of its time; ``_qr_rows``
reproduces the same choice, hence the same matrix, on packed bitmasks for a fraction
of that cost.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import BinaryIO

import qrcode
from flask import current_app
from qrcode import util as qr_util
from qrcode.constants import ERROR_CORRECT_M
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from passnum.booklets.models import Booklet, Voucher
from passnum.core.codes import group
from passnum.core.formatting import date_fr, euros
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

# The standard fonts print Windows-1252; other letters fall back (see ``_printable``).
PDF_TEXT_ENCODING = "cp1252"
UNPRINTABLE_LETTERS = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h"}

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

# --- French text ----------------------------------------------------------------------
PROGRAMME_TITLE = "Pass numérique"
STOCK_BENEFICIARY = "Chéquier en stock — à remettre"
HOW_TO_STEPS = (
    "Choisissez un lieu labellisé Pass numérique : la liste ci-dessous donne les plus "
    "proches, le site indiqué plus bas les donne tous, avec leurs ateliers.",
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

# --- QR codes ---------------------------------------------------------------------------
QR_ERROR_CORRECTION = ERROR_CORRECT_M
QR_MASKS = range(8)

# Binary, not ASCII85, page streams: ASCII85 makes files a quarter bigger and its
# pure-Python encoder costs more than drawing the page. Set once for the process, since
# reportlab reads this global while saving (a per-call toggle would race across threads).
rl_config.useA85 = 0


def render_booklets(
    booklets: Iterable[Booklet], out: BinaryIO, *, nearby_venues: Sequence[Venue] = ()
) -> None:
    """Write one PDF with, for each booklet, its cover page then its voucher pages.

    ``booklets`` is consumed once, lazily, so a caller may stream them from a query;
    ``nearby_venues`` are listed on every cover. Needs an app context (config only).
    """
    base_url = current_app.config["BASE_URL"].rstrip("/")
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"Chéquiers {PROGRAMME_TITLE}")
    canvas.setAuthor(PROGRAMME_TITLE)
    canvas.setCreator("passnum")
    for booklet in booklets:
        _draw_cover(canvas, booklet, nearby_venues, base_url)
        canvas.showPage()
        vouchers = list(booklet.vouchers)
        for first in range(0, len(vouchers), VOUCHERS_PER_PAGE):
            page = vouchers[first : first + VOUCHERS_PER_PAGE]
            _draw_voucher_page(canvas, booklet, page, first, len(vouchers))
            canvas.showPage()
    canvas.save()


# --- Cover ----------------------------------------------------------------------------


def _draw_cover(canvas: Canvas, booklet: Booklet, venues: Sequence[Venue], base_url: str) -> None:
    """Draw the cover: who, what, how to use it, and where."""
    y = PAGE_HEIGHT - MARGIN_Y - COVER_TITLE_SIZE
    canvas.setFont(FONT_BOLD, COVER_TITLE_SIZE)
    canvas.drawString(MARGIN_X, y, PROGRAMME_TITLE)
    canvas.setFont(FONT_BOLD, COVER_SUBTITLE_SIZE)
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, y, f"Chéquier n° {booklet.number}")
    y -= COVER_SUBTITLE_SIZE * 1.8
    canvas.setFont(FONT, COVER_SUBTITLE_SIZE)
    canvas.drawString(
        MARGIN_X, y, _fit(booklet.programme.name, FONT, COVER_SUBTITLE_SIZE, CONTENT_WIDTH)
    )
    y -= 7 * mm
    y = _draw_identity_box(canvas, booklet, y)
    y = _draw_heading(canvas, "Comment utiliser votre chéquier", y - 8 * mm)
    y = _draw_steps(canvas, y)
    y = _draw_heading(canvas, "Lieux labellisés près de chez vous", y - 6 * mm)
    y = _draw_venues(canvas, venues, y, COVER_FOOTER_Y + 16 * mm)
    _draw_directory_link(canvas, base_url, max(y - 5 * mm, COVER_FOOTER_Y + 8 * mm))
    canvas.setFont(FONT, COVER_SMALL_SIZE)
    canvas.drawString(MARGIN_X, COVER_FOOTER_Y, COVER_FOOTER)


def _booklet_rows(booklet: Booklet) -> list[tuple[str, str]]:
    """The labelled facts of the cover's box."""
    vouchers = booklet.vouchers
    values = {voucher.value_cents for voucher in vouchers}
    total = sum(voucher.value_cents for voucher in vouchers)
    each = f" de {euros(values.pop())}" if len(values) == 1 else ""
    beneficiary = booklet.beneficiary
    return [
        ("Bénéficiaire", beneficiary.display_name if beneficiary else STOCK_BENEFICIARY),
        ("Structure", booklet.structure.name),
        ("Chéquier n°", booklet.number),
        ("Validité", f"du {date_fr(booklet.valid_from)} au {date_fr(booklet.expires_on)}"),
        ("Contenu", f"{_count(len(vouchers), 'chèque')}{each}, valeur totale {euros(total)}"),
    ]


def _count(number: int, noun: str) -> str:
    """``1 chèque``, ``10 chèques``."""
    return f"{number} {noun}{'s' if number > 1 else ''}"


def _draw_identity_box(canvas: Canvas, booklet: Booklet, top: float) -> float:
    """Draw the framed box of booklet facts below ``top``; return the y under it."""
    rows = _booklet_rows(booklet)
    line = COVER_TEXT_SIZE * 1.7
    height = len(rows) * line + 2 * COVER_BOX_PADDING - (line - COVER_TEXT_SIZE)
    canvas.setLineWidth(1)
    canvas.rect(MARGIN_X, top - height, CONTENT_WIDTH, height, stroke=1, fill=0)
    y = top - COVER_BOX_PADDING - COVER_TEXT_SIZE
    value_x = MARGIN_X + COVER_BOX_PADDING + COVER_LABEL_WIDTH
    for label, value in rows:
        canvas.setFont(FONT, COVER_TEXT_SIZE)
        canvas.drawString(MARGIN_X + COVER_BOX_PADDING, y, f"{label} :")
        canvas.setFont(FONT_BOLD, COVER_TEXT_SIZE)
        canvas.drawString(
            value_x, y, _fit(value, FONT_BOLD, COVER_TEXT_SIZE, MARGIN_X + CONTENT_WIDTH - value_x)
        )
        y -= line
    return top - height


def _draw_heading(canvas: Canvas, text: str, top: float) -> float:
    """Draw a section heading with a rule under it; return the y under it."""
    y = top - COVER_HEADING_SIZE
    canvas.setFont(FONT_BOLD, COVER_HEADING_SIZE)
    canvas.drawString(MARGIN_X, y, text)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_X, y - 2 * mm, PAGE_WIDTH - MARGIN_X, y - 2 * mm)
    return y - 4 * mm


def _draw_steps(canvas: Canvas, top: float) -> float:
    """Draw the numbered how-to steps; return the y under them."""
    leading = COVER_TEXT_SIZE * COVER_LEADING
    width = CONTENT_WIDTH - COVER_STEP_INDENT
    y = top - COVER_TEXT_SIZE
    for number, step in enumerate(HOW_TO_STEPS, 1):
        canvas.setFont(FONT_BOLD, COVER_TEXT_SIZE)
        canvas.drawString(MARGIN_X, y, f"{number}.")
        canvas.setFont(FONT, COVER_TEXT_SIZE)
        for line in simpleSplit(step, FONT, COVER_TEXT_SIZE, width):
            canvas.drawString(MARGIN_X + COVER_STEP_INDENT, y, line)
            y -= leading
        y -= leading * 0.3
    return y + leading - COVER_TEXT_SIZE


def _draw_venues(canvas: Canvas, venues: Sequence[Venue], top: float, bottom: float) -> float:
    """List the venues in two columns, as many as fit above ``bottom``; return the y under."""
    line = COVER_TEXT_SIZE * COVER_LEADING
    y = top - COVER_TEXT_SIZE
    if not venues:
        canvas.setFont(FONT, COVER_TEXT_SIZE)
        canvas.drawString(MARGIN_X, y, NO_VENUE_TEXT)
        return y - line
    column_width = (CONTENT_WIDTH - 6 * mm) / 2
    entry_height = 3 * line + COVER_VENUE_GAP
    for index, venue in enumerate(venues):
        row, column = divmod(index, 2)
        entry_y = y - row * entry_height
        if entry_y - 2 * line < bottom:
            break
        x = MARGIN_X + column * (column_width + 6 * mm)
        _draw_venue(canvas, venue, x, entry_y, column_width)
    rows = (len(venues) + 1) // 2
    return max(y - rows * entry_height + line, bottom)


def _draw_venue(canvas: Canvas, venue: Venue, x: float, y: float, width: float) -> None:
    """Draw one venue: name, street address, postal code and commune."""
    line = COVER_TEXT_SIZE * COVER_LEADING
    canvas.setFont(FONT_BOLD, COVER_TEXT_SIZE)
    canvas.drawString(x, y, _fit(venue.name, FONT_BOLD, COVER_TEXT_SIZE, width))
    canvas.setFont(FONT, COVER_TEXT_SIZE)
    if venue.address:
        canvas.drawString(x, y - line, _fit(venue.address, FONT, COVER_TEXT_SIZE, width))
    town = " ".join(part for part in (venue.postal_code, venue.commune) if part)
    canvas.drawString(x, y - 2 * line, _fit(town, FONT, COVER_TEXT_SIZE, width))


def _draw_directory_link(canvas: Canvas, base_url: str, top: float) -> None:
    """Point to the public list of every labelled venue."""
    canvas.setFont(FONT, COVER_TEXT_SIZE)
    y = top - COVER_TEXT_SIZE
    canvas.drawString(MARGIN_X, y, "Tous les lieux labellisés et leurs ateliers :")
    canvas.setFont(FONT_BOLD, COVER_SUBTITLE_SIZE)
    canvas.drawString(
        MARGIN_X,
        y - COVER_SUBTITLE_SIZE * 1.4,
        _fit(f"{base_url}/lieux", FONT_BOLD, COVER_SUBTITLE_SIZE, CONTENT_WIDTH),
    )


def _printable(text: str) -> str:
    """``text`` with the letters the standard PDF fonts lack replaced by their base letter.

    Helvetica and Courier cover Windows-1252 (all of French); a name such as "Łukasz
    Nguyễn" prints "Lukasz Nguyen" rather than black boxes.
    """
    if _encodes(text):
        return text
    out = []
    for char in unicodedata.normalize("NFC", text):
        if not _encodes(char):
            parts = unicodedata.normalize("NFKD", char)
            base = "".join(c for c in parts if not unicodedata.combining(c))
            char = base if base and _encodes(base) else UNPRINTABLE_LETTERS.get(char, "?")
        out.append(char)
    return "".join(out)


def _encodes(text: str) -> bool:
    """True when the standard fonts can print every character of ``text``."""
    try:
        text.encode(PDF_TEXT_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text``, printable and shortened with an ellipsis to fit ``width`` points."""
    text = _printable(text)
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


# --- Vouchers -------------------------------------------------------------------------


def _draw_voucher_page(
    canvas: Canvas, booklet: Booklet, vouchers: Sequence[Voucher], first: int, total: int
) -> None:
    """Draw up to ``VOUCHERS_PER_PAGE`` vouchers as strips, with cut lines between them."""
    canvas.setFont(FONT, VOUCHER_HEADER_SIZE)
    canvas.drawRightString(
        PAGE_WIDTH - MARGIN_X,
        VOUCHER_AREA_TOP + 2.5 * mm,
        f"{PROGRAMME_TITLE} — chéquier n° {booklet.number} — chèques {first + 1} à "
        f"{first + len(vouchers)} sur {total}",
    )
    for index, voucher in enumerate(vouchers):
        top = VOUCHER_AREA_TOP - index * VOUCHER_HEIGHT
        _draw_voucher(canvas, booklet, voucher, top, total)
    for index in range(len(vouchers) + 1):
        _draw_cut_line(canvas, VOUCHER_AREA_TOP - index * VOUCHER_HEIGHT)


def _draw_voucher(
    canvas: Canvas, booklet: Booklet, voucher: Voucher, top: float, total: int
) -> None:
    """Draw one voucher strip whose top edge is at ``top``."""
    qr_x = MARGIN_X + VOUCHER_PADDING
    url = voucher_url(sign_serial(voucher.serial))
    _draw_qr(canvas, url, qr_x, top - VOUCHER_PADDING - QR_SIZE)
    right = PAGE_WIDTH - MARGIN_X - VOUCHER_PADDING
    x = qr_x + QR_SIZE + QR_TEXT_GAP
    y = top - VOUCHER_PADDING - VOUCHER_TITLE_SIZE
    canvas.setFont(FONT_BOLD, VOUCHER_TITLE_SIZE)
    canvas.drawString(x, y, PROGRAMME_TITLE.upper())
    canvas.setFont(FONT_BOLD, VOUCHER_VALUE_SIZE)
    value_y = y - VOUCHER_VALUE_SIZE + VOUCHER_TITLE_SIZE
    canvas.drawRightString(right, value_y, euros(voucher.value_cents))
    canvas.setFont(FONT, VOUCHER_TEXT_SIZE)
    canvas.drawRightString(
        right, y - VOUCHER_VALUE_SIZE - 1.5 * mm, f"chèque {voucher.position} sur {total}"
    )
    y -= VOUCHER_TEXT_SIZE * 1.9
    canvas.drawString(x, y, f"Chèque n° {voucher.serial}")
    y -= VOUCHER_CODE_SIZE * 1.3
    canvas.drawString(x, y, CODE_LABEL)
    canvas.setFont(FONT_CODE, VOUCHER_CODE_SIZE)
    code_x = x + stringWidth(CODE_LABEL, FONT, VOUCHER_TEXT_SIZE) + 2 * mm
    canvas.drawString(code_x, y, group(voucher.manual_code))
    y -= VOUCHER_TEXT_SIZE * 1.6
    canvas.setFont(FONT_BOLD, VOUCHER_TEXT_SIZE)
    canvas.drawString(x, y, f"Valable jusqu'au {date_fr(booklet.expires_on)}")
    canvas.setFont(FONT, VOUCHER_TEXT_SIZE)
    canvas.drawString(x, y - VOUCHER_TEXT_SIZE * 1.4, f"Chéquier n° {booklet.number}")
    canvas.setFont(FONT, VOUCHER_NOTE_SIZE)
    note_y = top - VOUCHER_HEIGHT + VOUCHER_PADDING + VOUCHER_NOTE_SIZE * 0.3
    for offset, note in enumerate(reversed(VOUCHER_NOTES)):
        canvas.drawString(x, note_y + offset * VOUCHER_NOTE_SIZE * 1.3, note)


def _draw_cut_line(canvas: Canvas, y: float) -> None:
    """A dashed line across the page with a small "cut here" label at its left end."""
    label_width = canvas.stringWidth(CUT_LABEL, FONT, CUT_LABEL_SIZE) + 2 * mm
    canvas.saveState()
    canvas.setLineWidth(CUT_LINE_WIDTH)
    canvas.setDash(list(CUT_DASH))
    canvas.line(MARGIN_X + label_width, y, PAGE_WIDTH - MARGIN_X, y)
    canvas.restoreState()
    canvas.setFont(FONT, CUT_LABEL_SIZE)
    canvas.drawString(MARGIN_X, y - CUT_LABEL_SIZE * 0.35, CUT_LABEL)


def _draw_qr(canvas: Canvas, data: str, x: float, y: float) -> None:
    """Draw the QR code of ``data`` as one filled vector path, ``QR_SIZE`` wide at (x, y).

    Each run of dark modules in a row is one rectangle. The path is written in module
    units under a scaling transform, so it is all small integers: reportlab's number
    formatting would otherwise dominate the rendering time. One path filled once has
    no hairline seams between adjacent rectangles.
    """
    rows = _qr_rows(data)
    size = len(rows)
    path = " ".join(
        f"{left} {size - 1 - index} {width} 1 re"
        for index, bits in enumerate(rows)
        for left, width in _runs(bits)
    )
    canvas.saveState()
    canvas.transform(QR_SIZE / size, 0, 0, QR_SIZE / size, x, y)
    canvas.addLiteral(f"{path} f")
    canvas.restoreState()


def _runs(bits: int) -> Iterator[tuple[int, int]]:
    """The ``(left, width)`` of each run of set bits in a row (bit ``c`` is column ``c``)."""
    column = 0
    while bits:
        skip = (bits & -bits).bit_length() - 1  # light modules before the next dark one
        bits >>= skip
        width = (bits ^ (bits + 1)).bit_length() - 1  # trailing dark modules
        yield column + skip, width
        bits >>= width
        column += skip + width


# --- QR matrix ------------------------------------------------------------------------


def _qr_rows(data: str) -> list[int]:
    """The QR code of ``data`` as row bitmasks (bit ``c`` set: module at column ``c`` dark).

    Same code as ``qrcode.QRCode(error_correction=M, border=0)``: ``qrcode`` encodes the
    data and places it under mask 0; the other seven masks are derived by XOR on the
    data modules and scored with the package's own penalty rules (``util.lost_point``,
    on test matrices whose format and version modules are light), keeping the first
    lowest score, as ``QRCode.best_mask_pattern`` does. The matrix is packed into one
    integer per orientation, so each rule is a handful of big-integer operations.
    """
    code = qrcode.QRCode(error_correction=QR_ERROR_CORRECTION, border=0, mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    layout = _layout(code.version)
    by_rows = _pack(code.modules)
    plain_rows = by_rows & ~layout.info[0]
    plain_columns = _pack(list(zip(*code.modules, strict=True))) & ~layout.info[1]
    best_mask, best_score = 0, -1
    for mask in QR_MASKS:
        flip_rows, flip_columns = layout.flips[mask]
        score = _penalty(plain_rows ^ flip_rows, plain_columns ^ flip_columns, layout)
        if best_score < 0 or score < best_score:
            best_mask, best_score = mask, score
    packed = (
        (plain_rows ^ layout.flips[best_mask][0])
        | (by_rows & layout.version_info)
        | layout.format_info[best_mask]
    )
    stride, full = layout.size + 1, (1 << layout.size) - 1
    return [(packed >> (r * stride)) & full for r in range(layout.size)]


_BITS = bytes.maketrans(b"\x00\x01", b"01")


def _pack(lines: Sequence[Sequence[bool | None]]) -> int:
    """Lines of modules as one integer: line ``i`` cell ``j`` is bit ``i * (n + 1) + j``.

    The spare bit after each line is never set, light or dark, so no run or pattern
    crosses from one line to the next.
    """
    text = b"".join(b"\x00" + bytes(map(bool, reversed(line))) for line in reversed(lines))
    return int(text.translate(_BITS), 2)


class _Layout:
    """Module maps of one QR version, packed like ``_pack`` (rows, and columns if paired)."""

    def __init__(self, version: int) -> None:
        """Compute the function, format, version and data module maps of ``version``."""
        self.size = size = version * 4 + 17
        function = _grid(size)
        # Finder patterns with their separators, then alignment patterns (skipping those
        # that would overlap a finder, as ``qrcode`` does), then timing patterns.
        _fill(function, range(8), range(8))
        _fill(function, range(8), range(size - 8, size))
        _fill(function, range(size - 8, size), range(8))
        positions = qr_util.pattern_position(version)
        for r in positions:
            for c in positions:
                if not function[r][c]:
                    _fill(function, range(r - 2, r + 3), range(c - 2, c + 3))
        _fill(function, range(6, 7), range(size))
        _fill(function, range(size), range(6, 7))
        fmt = _grid(size)
        for i in (*range(6), 7, 8, *range(size - 8, size)):
            fmt[i][8] = fmt[8][i] = True  # includes the always-dark module (size - 8, 8)
        ver = _grid(size)
        if version >= 7:
            _fill(ver, range(6), range(size - 11, size - 8))
            _fill(ver, range(size - 11, size - 8), range(6))
        info = [[f or v for f, v in zip(*pair, strict=True)] for pair in zip(fmt, ver, strict=True)]
        self.info = _pack_both(info)
        self.version_info = _pack(ver)
        is_data = [[not (function[r][c] or info[r][c]) for c in range(size)] for r in range(size)]
        self.flips = [_pack_both(_flip_grid(is_data, mask)) for mask in QR_MASKS]
        self.format_info = [_pack(_format_grid(size, mask)) for mask in QR_MASKS]
        stride = size + 1
        row = (1 << size) - 1
        self.valid = sum(row << (r * stride) for r in range(size))
        self.valid_above_last = self.valid & ~(row << ((size - 1) * stride))
        self.stride = stride


def _pack_both(grid: list[list[bool]]) -> tuple[int, int]:
    """A square grid packed by rows and by columns."""
    return _pack(grid), _pack(list(zip(*grid, strict=True)))


def _grid(size: int) -> list[list[bool]]:
    """An all-light square grid."""
    return [[False] * size for _ in range(size)]


def _fill(grid: list[list[bool]], rows: range, columns: range) -> None:
    """Set a rectangle of ``grid``."""
    for r in rows:
        for c in columns:
            grid[r][c] = True


def _flip_grid(is_data: list[list[bool]], mask: int) -> list[list[bool]]:
    """Data modules whose mask bit differs between mask 0 and ``mask``."""
    zero, other = qr_util.mask_func(0), qr_util.mask_func(mask)
    return [
        [cell and zero(r, c) != other(r, c) for c, cell in enumerate(row)]
        for r, row in enumerate(is_data)
    ]


def _format_grid(size: int, mask: int) -> list[list[bool]]:
    """Dark format-information modules for ``mask``, placed as ``qrcode`` places them."""
    grid = _grid(size)
    bits = qr_util.BCH_type_info((QR_ERROR_CORRECTION << 3) | mask)
    for i in range(15):
        dark = (bits >> i) & 1 == 1
        grid[i if i < 6 else i + 1 if i < 8 else size - 15 + i][8] = dark
        grid[8][size - i - 1 if i < 8 else 15 - i if i < 9 else 14 - i] = dark
    grid[size - 8][8] = True
    return grid


@cache
def _layout(version: int) -> _Layout:
    """The module maps of ``version``, computed once per process."""
    return _Layout(version)


def _penalty(by_rows: int, by_columns: int, layout: _Layout) -> int:
    """``qrcode.util.lost_point`` of a matrix packed by rows and by columns."""
    score = _line_penalty(by_rows, ~by_rows & layout.valid)
    score += _line_penalty(by_columns, ~by_columns & layout.valid)
    # Each 2x2 block of one colour costs 3.
    same = ~(by_rows ^ by_rows >> layout.stride) & layout.valid_above_last
    score += 3 * (same & same >> 1 & ~(by_rows ^ by_rows >> 1)).bit_count()
    size = layout.size
    score += int(abs(float(by_rows.bit_count()) / size**2 * 100 - 50) / 5) * 10
    return score


def _line_penalty(dark: int, light: int) -> int:
    """Penalties read along lines: long runs, and finder-like 1:1:3:1:1 patterns."""
    score = 0
    for bits in (dark, light):
        # Runs of 5+ modules of one colour: a run of length n costs n - 2.
        five = bits & bits >> 1 & bits >> 2 & bits >> 3 & bits >> 4
        score += five.bit_count() + 2 * (five & ~(five >> 1)).bit_count()
    # 10111010000 and 00001011101 (cell 0 first) cost 40 each.
    core = light >> 1 & dark >> 4 & light >> 5 & dark >> 6 & light >> 9
    first = core & dark & dark >> 2 & dark >> 3 & light >> 7 & light >> 8 & light >> 10
    second = core & light & light >> 2 & light >> 3 & dark >> 7 & dark >> 8 & dark >> 10
    return score + 40 * (first.bit_count() + second.bit_count())

"""A small PDF 1.4 writer that streams: each page goes out as soon as it is drawn.

reportlab keeps every page of a document in memory until it saves, so a batch of
thousands of booklets would need memory in proportion. Here a page's objects are
written to the output when the page is added; only their byte offsets stay (eight
bytes an object) for the cross-reference table written at the end. Any sink with
``write`` will do: a file, a spooled temporary file, a socket wrapper.

Text uses three of the standard Type 1 fonts with WinAnsiEncoding (Windows-1252: all
of French, ``€`` and ``—`` included), measured with reportlab's font metrics; nothing
is embedded. Constant drawings (a page's frame) are form XObjects, written once and
placed on many pages.
"""

from __future__ import annotations

import re
import zlib
from array import array
from typing import BinaryIO

from reportlab.pdfbase.pdfmetrics import stringWidth

from passnum.core.pdftext import TEXT_ENCODING  # what WinAnsiEncoding prints

FONT_RESOURCES = {"Helvetica": b"F1", "Helvetica-Bold": b"F2", "Courier-Bold": b"F3"}

# zlib level 3: QR paths shrink to a quarter in a third of the time level 6 takes
# (about 2 ms a booklet), for files a fifth larger.
COMPRESSION_LEVEL = 3

# Object numbers fixed at the start; the rest follow in writing order.
_CATALOG, _PAGES, _RESOURCES, _FONTS, _INFO = 1, 2, 3, 4, 5
_ESCAPED = re.compile(rb"[\\()\x00-\x1f]")


def pdf_number(value: float) -> bytes:
    """A coordinate as PDF writes it: at most two decimals, no trailing zeros."""
    text = b"%.2f" % value
    return text.rstrip(b"0").rstrip(b".") if b"." in text else text


def pdf_text(text: str) -> bytes:
    """``text`` as a PDF literal string in Windows-1252 (``?`` for what it lacks; the
    narrow no-break space of French numbers becomes a no-break space)."""
    data = text.replace("\u202f", "\u00a0").encode(TEXT_ENCODING, errors="replace")
    return b"(" + _ESCAPED.sub(lambda match: b"\\%03o" % match[0][0], data) + b")"


class Content:
    """The drawing operators of one page or form, in points from its lower left corner."""

    def __init__(self) -> None:
        """Start with no operators (black ink, default line style)."""
        self.ops: list[bytes] = []

    def text(self, x: float, y: float, text: str, font: str, size: float) -> None:
        """Write ``text`` with its baseline starting at (x, y)."""
        self.ops.append(b"BT /%s %s Tf %s %s Td %s Tj ET" % (
            FONT_RESOURCES[font], pdf_number(size), pdf_number(x), pdf_number(y),
            pdf_text(text)))

    def text_right(self, right: float, y: float, text: str, font: str, size: float) -> None:
        """Write ``text`` so that it ends at ``right``."""
        self.text(right - stringWidth(text, font, size), y, text, font, size)

    def line(self, x1: float, y1: float, x2: float, y2: float, *, width: float,
             dash: tuple[float, float] | None = None) -> None:
        """Stroke a straight line, solid or dashed (``dash``: on and off lengths)."""
        pattern = b"[%s %s] 0 d " % tuple(map(pdf_number, dash)) if dash else b""
        self.ops.append(b"q %s w %s%s %s m %s %s l S Q" % (
            pdf_number(width), pattern, pdf_number(x1), pdf_number(y1),
            pdf_number(x2), pdf_number(y2)))

    def rect(self, x: float, y: float, width: float, height: float, *, line: float) -> None:
        """Stroke the outline of a rectangle whose lower left corner is (x, y)."""
        self.ops.append(b"q %s w %s %s %s %s re S Q" % (
            pdf_number(line), pdf_number(x), pdf_number(y), pdf_number(width),
            pdf_number(height)))

    def fill_path(self, path: bytes, *, scale: float, x: float, y: float) -> None:
        """Fill ``path`` (operators in its own units) scaled by ``scale``, origin at (x, y)."""
        self.ops.append(b"q %s 0 0 %s %s %s cm %s f Q" % (
            pdf_number(scale), pdf_number(scale), pdf_number(x), pdf_number(y), path))

    def place(self, form: bytes, *, x: float = 0, y: float = 0) -> None:
        """Draw the form named ``form`` (see ``PdfWriter.add_form``) moved by (x, y)."""
        self.ops.append(b"q 1 0 0 1 %s %s cm /%s Do Q" % (pdf_number(x), pdf_number(y), form))

    def data(self) -> bytes:
        """The operators as one content stream."""
        return b"\n".join(self.ops)


class PdfWriter:
    """Writes a PDF to ``out`` page by page; ``close`` writes the page tree and xref.

    Memory stays flat however many pages: a page is compressed and written when added.
    """

    def __init__(self, out: BinaryIO, *, page_size: tuple[float, float], title: str,
                 author: str, creator: str) -> None:
        """Write the header and the fonts; keep the document information for ``close``."""
        self._out = out
        self._position = 0
        self._offsets = array("Q", [0] * _INFO)  # the fixed objects, written later
        self._pages = array("Q")
        self._forms: dict[bytes, int] = {}
        self._media_box = b"[0 0 %s %s]" % tuple(map(pdf_number, page_size))
        self._info = {"Title": title, "Author": author, "Creator": creator,
                      "Producer": creator}
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        fonts = b" ".join(
            b"/%s << /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
            % (name, font.encode("ascii")) for font, name in FONT_RESOURCES.items())
        self._object(_FONTS, b"<< " + fonts + b" >>")

    def add_form(self, name: bytes, content: Content, bbox: tuple[float, ...]) -> None:
        """Write ``content`` once as the form XObject ``name``, for ``Content.place``."""
        number = self._new()
        self._stream(number, content.data(), b"/Type /XObject /Subtype /Form /BBox [%s] "
                     b"/Resources << /Font %d 0 R >>" % (
                         b" ".join(map(pdf_number, bbox)), _FONTS))
        self._forms[name] = number

    def add_page(self, content: Content) -> None:
        """Write one page drawn by ``content``, after the pages added before it."""
        contents = self._new()
        self._stream(contents, content.data())
        page = self._new()
        self._object(page, b"<< /Type /Page /Parent %d 0 R /MediaBox %s /Resources %d 0 R "
                     b"/Contents %d 0 R >>" % (_PAGES, self._media_box, _RESOURCES, contents))
        self._pages.append(page)

    @property
    def page_count(self) -> int:
        """How many pages were added."""
        return len(self._pages)

    def close(self) -> None:
        """Write the shared resources, the page tree, the catalog, the xref and the trailer.

        The output itself is left open: it belongs to the caller.
        """
        forms = b" ".join(b"/%s %d 0 R" % item for item in self._forms.items())
        self._object(_RESOURCES, b"<< /ProcSet [/PDF /Text] /Font %d 0 R /XObject << %s >> >>"
                     % (_FONTS, forms))
        kids = b" ".join(b"%d 0 R" % page for page in self._pages)
        self._object(_PAGES, b"<< /Type /Pages /Count %d /Kids [%s] >>"
                     % (len(self._pages), kids))
        self._object(_CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % _PAGES)
        info = b" ".join(b"/%s %s" % (key.encode("ascii"), _utf16(value))
                         for key, value in self._info.items())
        self._object(_INFO, b"<< " + info + b" >>")
        start = self._position
        entries = b"".join(b"%010d 00000 n \n" % offset for offset in self._offsets)
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self._offsets) + 1) + entries)
        self._write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                    % (len(self._offsets) + 1, _CATALOG, _INFO, start))

    def _new(self) -> int:
        """Reserve the next object number."""
        self._offsets.append(0)
        return len(self._offsets)

    def _object(self, number: int, body: bytes) -> None:
        """Write object ``number`` now, noting where it starts."""
        self._offsets[number - 1] = self._position
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _stream(self, number: int, data: bytes, entries: bytes = b"") -> None:
        """Write object ``number`` as a compressed stream with extra dictionary ``entries``."""
        packed = zlib.compress(data, COMPRESSION_LEVEL)
        self._object(number, b"<< %s/Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
                     % (entries + b" " if entries else b"", len(packed), packed))

    def _write(self, data: bytes) -> None:
        """Send ``data`` to the output, counting bytes (the output may not seek)."""
        self._out.write(data)
        self._position += len(data)


def _utf16(text: str) -> bytes:
    """``text`` as a PDF text string in UTF-16 (any letter, for the document information)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"

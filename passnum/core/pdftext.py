"""Text for PDFs drawn with the standard fonts (Helvetica, Courier): they print
Windows-1252, which covers French; other letters fall back to their base letter.
Every value drawn into a ``Paragraph`` goes through ``markup``."""

from __future__ import annotations

import re
import unicodedata
from xml.sax.saxutils import escape

from reportlab.pdfbase.pdfmetrics import stringWidth

_FRENCH_SPACE = re.compile(r" (?=[:;!?](?:\s|$))")
TEXT_ENCODING = "cp1252"  # what the standard fonts' WinAnsiEncoding prints
# letters whose decomposition has no base letter of their own
UNPRINTABLE_LETTERS = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h"}


def encodes(text: str) -> bool:
    """True when the standard fonts can print every character of ``text``."""
    try:
        text.encode(TEXT_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` with the letters the standard fonts lack replaced by their base letter:
    a name such as "Łukasz Nguyễn" prints "Lukasz Nguyen" rather than black boxes.
    Babel's narrow no-break space (``36 000``) becomes a no-break space."""
    text = text.replace("\u202f", "\u00a0")
    if encodes(text):
        return text
    out = []
    for char in unicodedata.normalize("NFC", text):
        if not encodes(char):
            parts = unicodedata.normalize("NFKD", char)
            base = "".join(c for c in parts if not unicodedata.combining(c))
            char = base if base and encodes(base) else UNPRINTABLE_LETTERS.get(char, "?")
        out.append(char)
    return "".join(out)


def fit(text: str, font: str, size: float, width: float) -> str:
    """``text``, printable and shortened with an ellipsis to fit ``width`` points."""
    text = printable(text)
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def markup(text: str) -> str:
    """``text`` made printable and escaped for a reportlab ``Paragraph``, whose argument is
    markup: stored text such as "R&D <a href=…>" or "<img src=…>" is shown literally
    instead of breaking the document, adding a link or embedding a server file. The
    space French puts before ":", ";", "!" and "?" becomes a no-break space, so that no
    wrapped line starts with the sign."""
    return escape(_FRENCH_SPACE.sub("\u00a0", printable(text)))

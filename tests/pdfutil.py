"""Test helpers that read PDFs the way a person (or a phone) would.

Pages are rasterised with pypdfium2 and QR codes decoded with zxing-cpp, so a test
checks what actually prints, not what the renderer meant to draw; text comes from pypdf.
"""

from __future__ import annotations

import io
import re

import pypdfium2
import zxingcpp
from PIL import Image
from pypdf import PdfReader

RENDER_DPI = 200
# Two detections of one code (whole page and band) differ by a few pixels at most.
SAME_PLACE_PX = 30
_CROCKFORD = "[0-9A-HJKMNP-TV-Z]"
MANUAL_CODE_RE = re.compile(
    rf"(?<![0-9A-Z-])({_CROCKFORD}{{4}}-{_CROCKFORD}{{4}}-{_CROCKFORD}{{4}})(?![0-9A-Z-])"
)


def page_count(pdf_bytes: bytes) -> int:
    """Return the number of pages of the PDF."""
    return len(PdfReader(io.BytesIO(pdf_bytes)).pages)


def pdf_text(pdf_bytes: bytes) -> str:
    """Return the text of every page, pages separated by a newline."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def page_texts(pdf_bytes: bytes) -> list[str]:
    """Return the text of each page, in page order."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    return [page.extract_text() or "" for page in reader.pages]


def manual_codes(pdf_bytes: bytes) -> list[str]:
    """Return the grouped manual codes (``K7M2-9QXP-4TJ6``) printed, in reading order."""
    return MANUAL_CODE_RE.findall(pdf_text(pdf_bytes))


def render_pages(pdf_bytes: bytes, dpi: int = RENDER_DPI) -> list[Image.Image]:
    """Rasterise every page to a greyscale PIL image at ``dpi``."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        images = []
        for index in range(len(document)):
            page = document[index]
            try:
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                images.append(bitmap.to_pil().copy())
                bitmap.close()
            finally:
                page.close()
        return images
    finally:
        document.close()


def _decode_image(image: Image.Image) -> list[tuple[int, int, str]]:
    """Return ``(top, left, text)`` for each QR code found in ``image``."""
    found = []
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCodeModel2):
        if not barcode.valid:
            continue
        pos = barcode.position
        top = min(pos.top_left.y, pos.top_right.y, pos.bottom_left.y, pos.bottom_right.y)
        left = min(pos.top_left.x, pos.top_right.x, pos.bottom_left.x, pos.bottom_right.x)
        found.append((top, left, barcode.text))
    return found


def _decode_page(image: Image.Image) -> list[tuple[int, int, str]]:
    """Decode a page whole and in overlapping horizontal bands, keeping each code once.

    Decoding a whole page with several codes may miss one; a band gives the decoder a
    simpler picture. A code found twice (same text, same place) counts once, so a code
    printed twice on a page is still counted twice.
    """
    candidates = _decode_image(image)
    band = max(1, image.height // 4)
    for start in range(0, image.height, band // 2):
        crop = image.crop((0, start, image.width, min(image.height, start + band)))
        candidates.extend((top + start, left, text) for top, left, text in _decode_image(crop))
    kept: list[tuple[int, int, str]] = []
    for top, left, text in candidates:
        if not any(
            text == k_text
            and abs(top - k_top) <= SAME_PLACE_PX
            and abs(left - k_left) <= SAME_PLACE_PX
            for k_top, k_left, k_text in kept
        ):
            kept.append((top, left, text))
    return _reading_order(kept)


def _reading_order(codes: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Sort codes into rows (tops within ``SAME_PLACE_PX``), rows top to bottom, left to right."""
    ordered: list[tuple[int, int, int, str]] = []
    row, row_top = -1, None
    for top, left, text in sorted(codes):
        if row_top is None or top - row_top > SAME_PLACE_PX:
            row, row_top = row + 1, top
        ordered.append((row, left, top, text))
    return [(top, left, text) for _, left, top, text in sorted(ordered)]


def decode_qr_urls(pdf_bytes: bytes) -> list[str]:
    """Return the text of every QR code in the PDF, in page order then top to bottom.

    Within a page, codes are ordered by their top edge, then their left edge.
    """
    urls: list[str] = []
    for image in render_pages(pdf_bytes):
        urls.extend(text for _, _, text in _decode_page(image))
    return urls

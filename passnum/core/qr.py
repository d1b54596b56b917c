"""QR codes (voucher URLs, second factor enrolment) as module matrices, and as one
compact vector path each: PDF operators for the printed vouchers, SVG for a page.

The matrix comes from zxing-cpp's writer (the zint encoder, in C): well under a
millisecond a code, where the pure-Python ``qrcode`` package spends several on its
Reed-Solomon arithmetic and mask search. The encoder picks the smallest version for
the data at error-correction level M (15 % of the code may be soiled or torn and it
still scans) and the mask with the lowest penalty, as the QR standard asks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import zxingcpp
from markupsafe import escape

QR_ERROR_CORRECTION = "M"
SVG_QUIET_MODULES = 2  # the light margin an SVG code carries (a PDF page has its own)
_DARK_RUN = re.compile(rb"\x00+")  # the writer's image: 0 dark, 255 light


def qr_rows(data: str) -> list[bytes]:
    """The QR code of ``data`` as rows of modules, top row first: byte 0 dark, 255 light.

    No quiet zone: the page leaves a blank margin around the code. ``data`` is a URL
    (a voucher's, an ``otpauth://`` address), hence ASCII: other letters would go out in
    Latin-1 without an ECI marker, which some readers take for Shift JIS.
    """
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode,
                                   ec_level=QR_ERROR_CORRECTION)
    image = code.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    # the image is a buffer (its stubs omit the protocol): its bytes, row after row
    pixels = memoryview(image).tobytes()  # type: ignore[arg-type]
    return [pixels[row * width : (row + 1) * width] for row in range(height)]


def _dark_runs(rows: list[bytes]) -> Iterator[tuple[int, int, int]]:
    """``(x, y, width)`` of each run of dark modules in ``rows``, y downwards from the
    top row. The rows are searched as one buffer, a light byte between rows so that no
    run spans two."""
    stride = len(rows) + 1
    for run in _DARK_RUN.finditer(b"\xff".join(rows)):
        start, end = run.span()
        yield start % stride, start // stride, end - start


def qr_path(data: str) -> tuple[int, bytes]:
    """``(size, operators)``: the code of ``data`` as PDF rectangles in module units.

    Each run of dark modules in a row is one ``re`` rectangle, with y upwards from the
    bottom row; the caller scales the unit square to the printed size and fills the
    whole path once, so adjacent rectangles leave no hairline seams.
    """
    rows = qr_rows(data)
    size = len(rows)
    return size, b" ".join([b"%d %d %d 1 re" % (x, size - 1 - y, width)
                            for x, y, width in _dark_runs(rows)])


def qr_svg(data: str, *, label: str) -> str:
    """The QR code of ``data`` as an inline SVG element described by ``label``: one path
    (no script, no style), a light margin of ``SVG_QUIET_MODULES``, sized by the page's
    CSS (the ``viewBox`` scales it)."""
    rows = qr_rows(data)
    margin = SVG_QUIET_MODULES
    full = len(rows) + 2 * margin
    path = "".join(f"M{x + margin} {y + margin}h{width}v1h-{width}z"
                   for x, y, width in _dark_runs(rows))
    return (f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {full} {full}" '
            f'xmlns="http://www.w3.org/2000/svg"><path d="{path}"/></svg>')

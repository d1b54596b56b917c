"""QR codes of voucher URLs as module matrices, and as one compact vector path each.

The matrix comes from zxing-cpp's writer (the zint encoder, in C): well under a
millisecond a code, where the pure-Python ``qrcode`` package spends several on its
Reed-Solomon arithmetic and mask search. The encoder picks the smallest version for
the data at error-correction level M (15 % of the code may be soiled or torn and it
still scans) and the mask with the lowest penalty, as the QR standard asks.
"""

from __future__ import annotations

import re

import zxingcpp

QR_ERROR_CORRECTION = "M"
_DARK_RUN = re.compile(rb"\x00+")  # the writer's image: 0 dark, 255 light


def qr_rows(data: str) -> list[bytes]:
    """The QR code of ``data`` as rows of modules, top row first: byte 0 dark, 255 light.

    No quiet zone: the page leaves a blank margin around the code. ``data`` is a URL,
    hence ASCII: other letters would go out in Latin-1 without an ECI marker, which some
    readers take for Shift JIS.
    """
    code = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode,
                                   ec_level=QR_ERROR_CORRECTION)
    image = code.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    # the image exports the buffer protocol, which zxing-cpp's own stubs leave out
    pixels = memoryview(image).tobytes()  # type: ignore[arg-type]
    return [pixels[row * width : (row + 1) * width] for row in range(height)]


def qr_path(data: str) -> tuple[int, bytes]:
    """``(size, operators)``: the code of ``data`` as PDF rectangles in module units.

    Each run of dark modules in a row is one ``re`` rectangle, with y upwards from the
    bottom row; the caller scales the unit square to the printed size and fills the
    whole path once, so adjacent rectangles leave no hairline seams. The rows are
    searched as one buffer, a light byte between rows so that no run spans two.
    """
    rows = qr_rows(data)
    size, stride = len(rows), len(rows) + 1
    spans = (run.span() for run in _DARK_RUN.finditer(b"\xff".join(rows)))
    return size, b" ".join([b"%d %d %d 1 re" % (start % stride, size - 1 - start // stride,
                                                 end - start) for start, end in spans])

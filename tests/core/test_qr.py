"""QR codes drawn as SVG (second factor enrolment) read back as what they hold."""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image, ImageDraw

from passnum.auth.totp import new_secret, provisioning_uri, qr_svg
from passnum.core.qr import SVG_QUIET_MODULES, qr_rows

RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-\3z")
SCALE = 8


def _raster(svg: str) -> Image.Image:
    """The SVG's path (unit-high runs of dark modules) painted on a white image."""
    full = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    path = re.search(r'<path d="([^"]*)"/>', svg).group(1)
    image = Image.new("L", (full * SCALE, full * SCALE), 255)
    draw = ImageDraw.Draw(image)
    runs = RUN.findall(path)
    assert "".join(f"M{x} {y}h{w}v1h-{w}z" for x, y, w in runs) == path  # nothing else
    for x, y, width in runs:
        x, y, width = int(x), int(y), int(width)
        draw.rectangle([x * SCALE, y * SCALE, (x + width) * SCALE - 1, (y + 1) * SCALE - 1],
                       fill=0)
    return image


def test_the_enrolment_code_reads_back_as_its_address():
    uri = provisioning_uri(new_secret(), "gestion@example.org")
    svg = qr_svg(uri)
    assert svg.startswith('<svg role="img" aria-label="Code QR à scanner avec l&#39;application"')
    assert "<script" not in svg and svg.count("<path") == 1
    found = zxingcpp.read_barcodes(_raster(svg), formats=zxingcpp.BarcodeFormat.QRCodeModel2)
    assert [code.text for code in found] == [uri]


def test_the_svg_keeps_a_light_margin_around_the_matrix():
    uri = provisioning_uri(new_secret(), "a@example.org")
    size = len(qr_rows(uri))
    svg = qr_svg(uri)
    assert f'viewBox="0 0 {size + 2 * SVG_QUIET_MODULES} ' in svg
    runs = [(int(x), int(y)) for x, y, _ in RUN.findall(svg)]
    assert min(x for x, _ in runs) == min(y for _, y in runs) == SVG_QUIET_MODULES

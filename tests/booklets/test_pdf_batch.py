"""Booklets printed in batches: one streamed PDF, every code scannable, nothing raster."""

from __future__ import annotations

import io
import re

from flask import Flask
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.lib.pagesizes import A4

from passnum.booklets.models import Booklet
from passnum.booklets.pdf import render_booklets
from passnum.booklets.services import issue_stock
from passnum.core.codes import group
from passnum.core.db import unit_of_work
from tests.booklets.test_pdf import COVER_HEADING, expected_urls, login, render
from tests.factories import World, issue, make_beneficiary
from tests.pdfutil import decode_qr_urls, manual_codes, page_texts

# Operators that would set a colour: a booklet prints in black only.
COLOUR_OPERATORS = {b"rg", b"RG", b"k", b"K", b"sc", b"SC", b"scn", b"SCN", b"cs", b"CS"}


def voucher_urls(pdf: bytes) -> list[str]:
    """The voucher URLs read from the PDF's QR codes, in reading order.

    ``decode_qr_urls`` also reads bands of a page; a band that cuts through a code can
    read as a tiny Micro QR code holding a few digits (zxing-cpp counts Micro QR as a
    QR code). Such readings, with no ``/``, are left out; any other reading stays, so
    every voucher URL, and nothing else, must still be read exactly once.
    """
    return [url for url in decode_qr_urls(pdf) if "/" in url]


def issued(world: World, count: int) -> list[Booklet]:
    """``count`` booklets issued to new beneficiaries of the 78 structure."""
    return [issue(world.issuer78, make_beneficiary(world.issuer78)) for _ in range(count)]


def drawings(pdf: bytes) -> list[tuple[str, list[bytes]]]:
    """``(kind, operators)`` of each page and of each XObject the pages use, nested too."""
    reader = PdfReader(io.BytesIO(pdf))
    found: list[tuple[str, list[bytes]]] = []
    seen: set[int] = set()

    def ops(content) -> list[bytes]:
        return [operator for _, operator in ContentStream(content, reader).operations]

    def visit(resources) -> None:
        for ref in ((resources or {}).get("/XObject") or {}).values():
            if ref.idnum not in seen:
                seen.add(ref.idnum)
                xobject = ref.get_object()
                kind = str(xobject.get("/Subtype"))
                found.append((kind, ops(xobject) if kind == "/Form" else []))
                visit(xobject.get("/Resources"))

    for page in reader.pages:
        found.append(("/Page", ops(page.get_contents())))
        visit(page.get("/Resources"))
    return found


def test_batch_pdf_scans_every_voucher_of_every_booklet(app: Flask) -> None:
    """Four booklets: twelve A4 pages that parse, forty codes read in order, forty typed."""
    world = World()
    booklets = issued(world, 4)

    pdf = render(iter(booklets), nearby_venues=[world.venue78])

    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == 12
    a4 = [0, 0, round(A4[0], 2), round(A4[1], 2)]
    assert all([round(float(v), 2) for v in page.mediabox] == a4 for page in reader.pages)
    texts = page_texts(pdf)
    assert [i for i, text in enumerate(texts) if COVER_HEADING in text] == [0, 3, 6, 9]
    assert voucher_urls(pdf) == [url for b in booklets for url in expected_urls(b)]
    assert manual_codes(pdf) == [group(v.manual_code) for b in booklets for v in b.vouchers]


def test_batch_pdf_is_vector_and_black_only(app: Flask) -> None:
    """No raster image (XObject or inline) anywhere, forms included, and no colour."""
    world = World()
    pdf = render(issued(world, 2))

    found = drawings(pdf)
    assert [kind for kind, _ in found if kind not in ("/Page", "/Form")] == []
    assert any(kind == "/Form" for kind, _ in found)  # the shared frames
    for _, ops in found:
        assert b"INLINE IMAGE" not in ops and b"BI" not in ops
        assert not COLOUR_OPERATORS & set(ops)
        assert b"f" in ops or b"Tj" in ops


def test_every_cross_reference_points_at_its_object(app: Flask) -> None:
    """The xref table written at the end gives each object's exact byte offset."""
    world = World()
    pdf = render(issued(world, 2))

    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf).group(1))
    assert pdf[start:].startswith(b"xref\n0 ")
    count = int(re.match(rb"xref\n0 (\d+)\n", pdf[start:]).group(1))
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf]) ?\n", pdf[start:])
    assert len(entries) == count
    for number, (offset, _, kind) in enumerate(entries[1:], 1):
        assert kind == b"n"
        assert pdf[int(offset) :].startswith(b"%d 0 obj\n" % number)


def test_two_batches_of_different_sizes_share_no_state(app: Flask) -> None:
    """A batch renders the same bytes before and after another, larger batch."""
    world = World()
    booklets = issued(world, 3)

    first = render(booklets[:1])
    larger = render(booklets)
    again = render(booklets[:1])

    assert first == again
    assert len(PdfReader(io.BytesIO(first)).pages) == 3
    assert len(PdfReader(io.BytesIO(larger)).pages) == 9
    assert voucher_urls(larger) == [url for b in booklets for url in expected_urls(b)]


class Sink:
    """A write-only output (no seek, no tell), as a network stream would be."""

    def __init__(self) -> None:
        """Start empty."""
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        """Keep ``chunk``."""
        self.data += chunk
        return len(chunk)


def test_pages_go_out_before_the_next_booklet_is_read(app: Flask) -> None:
    """Each booklet's pages are written before the next booklet is even asked for."""
    world = World()
    booklets = issued(world, 3)
    sink = Sink()
    pages_out: list[int] = []

    def lazily():
        for booklet in booklets:
            pages_out.append(sink.data.count(b"/Type /Page "))
            yield booklet
        pages_out.append(sink.data.count(b"/Type /Page "))

    render_booklets(lazily(), sink)

    assert pages_out == [0, 3, 6, 9]
    pdf = bytes(sink.data)
    assert voucher_urls(pdf) == [url for b in booklets for url in expected_urls(b)]


def test_stock_batch_download_is_one_scannable_pdf(app: Flask) -> None:
    """The stock page's batch download holds every booklet of the batch, all scannable."""
    world = World()
    with unit_of_work():
        batch = issue_stock(world.issuer78, world.s78, count=3)
    urls = [url for b in batch.booklets for url in expected_urls(b)]
    client = login(app, world.issuer78.email)

    response = client.post(f"/stock/lots/{batch.event_id}/pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 9
    assert voucher_urls(response.data) == urls

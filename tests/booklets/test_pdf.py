"""The printable booklet: what a beneficiary reads, and what a venue's phone scans."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import zxingcpp
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.booklets.models import Booklet, BookletStatus, Voucher
from passnum.booklets.pdf import CoverBooking, render_booklets
from passnum.core.clock import today
from passnum.core.codes import group, new_manual_code
from passnum.core.formatting import date_fr, euros
from passnum.core.qr import qr_rows
from passnum.core.signing import sign_serial, voucher_url
from passnum.extensions import db
from passnum.redemptions.services import check
from passnum.venues.queries import venues_for_cover
from tests.factories import World, issue, make_beneficiary, make_venue
from tests.factories import login as log_in
from tests.pdfutil import decode_qr_urls, manual_codes, page_count, page_texts, pdf_text

COVER_HEADING = "Comment utiliser votre chéquier"


def render(booklets: list[Booklet], **kw) -> bytes:
    """Render booklets to PDF bytes."""
    out = io.BytesIO()
    render_booklets(booklets, out, **kw)
    return out.getvalue()


def flat(text: str) -> str:
    """Text with non-breaking spaces as plain spaces (amounts use them)."""
    return text.replace("\u00a0", " ")


def expected_urls(booklet: Booklet) -> list[str]:
    """The URL each voucher's QR code must hold, in position order."""
    return [voucher_url(sign_serial(v.serial)) for v in booklet.vouchers]


def image_xobjects(pdf_bytes: bytes) -> list[str]:
    """Names of the image XObjects of every page."""
    names = []
    for page in PdfReader(io.BytesIO(pdf_bytes)).pages:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for name, ref in xobjects.items():
            if ref.get_object().get("/Subtype") == "/Image":
                names.append(name)
    return names


def make_stock_booklet(world: World, *, vouchers: int = 10) -> Booklet:
    """A booklet printed for stock (no beneficiary yet), built directly."""
    day = today()
    booklet = Booklet(
        number="78-STCK-0001",
        programme_id=world.programme.id,
        structure_id=world.s78.id,
        departement_id=world.d78.id,
        beneficiary_id=None,
        status=BookletStatus.IN_STOCK,
        valid_from=day,
        expires_on=day + timedelta(days=365),
        issued_by_id=world.issuer78.id,
    )
    db.session.add(booklet)
    db.session.flush()
    for position in range(1, vouchers + 1):
        db.session.add(
            Voucher(
                booklet_id=booklet.id,
                position=position,
                serial=f"{booklet.number}-{position:02d}",
                manual_code=new_manual_code(),
                value_cents=1000,
            )
        )
    db.session.commit()
    db.session.refresh(booklet)
    return booklet


def test_booklet_pdf_prints_every_voucher_scannable_and_typeable(app: Flask) -> None:
    """Each QR code and each manual code checks as the right, valid voucher."""
    world = World()
    venue = make_venue(world.d78)
    venue.address = "12 rue de la République"
    db.session.commit()
    beneficiary = make_beneficiary(world.issuer78, first_name="Éléonore", last_name="Dupré")
    booklet = issue(world.issuer78, beneficiary)

    pdf = render([booklet], nearby_venues=venues_for_cover(booklet.departement_id))

    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 3
    vouchers = booklet.vouchers
    assert len(vouchers) == 10
    urls = decode_qr_urls(pdf)
    assert urls == expected_urls(booklet)
    for url, voucher in zip(urls, vouchers, strict=True):
        result = check(url, actor_id=world.agent78.id, channel="test")
        assert result.is_valid, result.message
        assert result.voucher.id == voucher.id
    codes = manual_codes(pdf)
    assert codes == [group(v.manual_code) for v in vouchers]
    for code, voucher in zip(codes, vouchers, strict=True):
        result = check(code.replace("-", "").lower(), actor_id=world.agent78.id, channel="test")
        assert result.is_valid, result.message
        assert result.voucher.id == voucher.id

    text = flat(pdf_text(pdf))
    cover = flat(page_texts(pdf)[0])
    assert beneficiary.display_name == "DUPRÉ Éléonore"
    assert beneficiary.display_name in cover
    assert booklet.structure.name in cover
    assert world.programme.name in cover
    assert f"du {date_fr(booklet.valid_from)} au {date_fr(booklet.expires_on)}" in cover
    assert f"10 chèques de {flat(euros(1000))}, valeur totale {flat(euros(10_000))}" in cover
    assert venue.name in cover and "12 rue de la République" in cover
    assert f"{app.config['BASE_URL']}/lieux" in cover
    assert text.count(booklet.number) >= 11
    for voucher in vouchers:
        assert voucher.serial in text
    assert text.count("10,00 €") >= 11
    assert text.count(f"Valable jusqu'au {date_fr(booklet.expires_on)}") == 10
    assert text.count("découper ici") == 12  # above and below each strip, per page


def test_qr_codes_are_vector_paths_not_images(app: Flask) -> None:
    """QR codes are drawn as paths: no raster image anywhere in the document."""
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))

    pdf = render([booklet])

    assert image_xobjects(pdf) == []
    assert len(decode_qr_urls(pdf)) == 10


def test_stock_booklet_cover_says_in_stock(app: Flask) -> None:
    """A booklet without a beneficiary prints as stock; its vouchers await hand-out."""
    world = World()
    booklet = make_stock_booklet(world)

    pdf = render([booklet])

    cover = page_texts(pdf)[0]
    assert "Chéquier en stock — à remettre" in cover
    assert booklet.number in cover
    urls = decode_qr_urls(pdf)
    assert urls == expected_urls(booklet)
    result = check(urls[0], actor_id=world.agent78.id, channel="test")
    assert result.reason == "not_activated"


def test_cover_without_venues_points_to_the_directory(app: Flask) -> None:
    """With no venue to list, the cover still says where to find them."""
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))

    cover = page_texts(render([booklet], nearby_venues=[]))[0]

    assert "Lieux labellisés du département" in cover
    assert f"{app.config['BASE_URL']}/lieux" in cover


def test_names_outside_the_font_print_with_base_letters(app: Flask) -> None:
    """Letters the standard fonts lack fall back to their base letter, not black boxes."""
    world = World()
    beneficiary = make_beneficiary(world.issuer78, first_name="Łukasz", last_name="Nguyễn")
    booklet = issue(world.issuer78, beneficiary)

    cover = page_texts(render([booklet]))[0]

    assert "NGUYEN Lukasz" in cover
    assert "■" not in cover


def test_several_booklets_stream_into_one_pdf(app: Flask) -> None:
    """Three booklets: three covers, thirty QR codes, in booklet then position order."""
    world = World()
    booklets = [issue(world.issuer78, make_beneficiary(world.issuer78)) for _ in range(3)]

    pdf = render(iter(booklets), nearby_venues=[world.venue78])

    assert page_count(pdf) == 9
    texts = page_texts(pdf)
    covers = [i for i, text in enumerate(texts) if COVER_HEADING in text]
    assert covers == [0, 3, 6]
    for booklet, index in zip(booklets, covers, strict=True):
        assert booklet.beneficiary.display_name in texts[index]
    urls = decode_qr_urls(pdf)
    assert len(urls) == 30
    assert urls == [url for booklet in booklets for url in expected_urls(booklet)]
    assert len(manual_codes(pdf)) == 30


def login(app: Flask, email: str):
    """A test client logged in as ``email``."""
    client = app.test_client()
    response = log_in(client, email)
    assert response.status_code == 302
    return client


def printed_events(booklet: Booklet) -> list[AuditEvent]:
    """The ``booklet.printed`` audit events of ``booklet``."""
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "booklet.printed", AuditEvent.object_id == str(booklet.id)
            )
        )
    )


def test_download_returns_the_pdf_and_is_audited(app: Flask) -> None:
    """The issuer downloads the booklet as an attachment; the print is counted and audited."""
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    client = login(app, world.issuer78.email)

    response = client.post(f"/chequiers/{booklet.id}/pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"chequier-{booklet.number}.pdf" in disposition
    assert decode_qr_urls(response.data) == expected_urls(booklet)
    assert booklet.beneficiary.display_name in page_texts(response.data)[0]
    db.session.expire_all()
    events = printed_events(booklet)
    assert [event.actor_id for event in events] == [world.issuer78.id]
    assert db.session.get(Booklet, booklet.id).printed_count == 1


def test_another_structure_cannot_download(app: Flask) -> None:
    """An issuer of another structure gets 404, and nothing is recorded."""
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    client = login(app, world.issuer78b.email)

    response = client.post(f"/chequiers/{booklet.id}/pdf")

    assert response.status_code == 404
    db.session.expire_all()
    assert printed_events(booklet) == []
    assert db.session.get(Booklet, booklet.id).printed_count == 0


def matrix_image(rows: list[bytes], *, scale: int = 4, quiet: int = 4) -> Image.Image:
    """The module rows as a greyscale picture, ``scale`` pixels a module, with a quiet zone."""
    size = len(rows)
    image = Image.new("L", (size + 2 * quiet, size + 2 * quiet), 255)
    image.paste(Image.frombytes("L", (size, size), b"".join(rows)), (quiet, quiet))
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


# What a voucher URL may hold: printable ASCII (an https base, a serial, a signature).
URL_TEXT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                   max_size=120)


@settings(max_examples=60, deadline=None)
@given(URL_TEXT)
def test_qr_matrix_decodes_to_its_data_at_level_m(data: str) -> None:
    """Each matrix is a square QR code that reads back as its data, at error correction M."""
    rows = qr_rows(data)

    assert len(rows) >= 21 and (len(rows) - 17) % 4 == 0
    assert all(len(row) == len(rows) and set(row) <= {0, 255} for row in rows)
    found = zxingcpp.read_barcodes(matrix_image(rows), formats=zxingcpp.BarcodeFormat.QRCodeModel2)
    assert [(code.text, code.ec_level) for code in found] == [(data, "M")]


def test_cover_lists_the_communes_venues_first_then_the_departements(app: Flask) -> None:
    """Venues of the beneficiary's postal code come first, then the rest of the
    département; other départements are left to the directory; "nearest" is never said."""
    world = World()
    named = {}
    for name, dep, postal_code in (("Aaa Lieu du 78", world.d78, "78000"),
                                   ("Bbb Lieu du 92", world.d92, "92000"),
                                   ("Zzz Lieu de la commune", world.d78, "78500")):
        venue = make_venue(dep)
        venue.name, venue.postal_code, venue.commune = name, postal_code, "Commune"
        named[name] = venue
    db.session.commit()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78, postal_code="78500"))
    client = login(app, world.issuer78.email)

    cover = flat(page_texts(client.post(f"/chequiers/{booklet.id}/pdf").data)[0])

    assert "Zzz Lieu de la commune" in cover and "Aaa Lieu du 78" in cover
    assert cover.index("Zzz Lieu de la commune") < cover.index("Aaa Lieu du 78")
    assert "Bbb Lieu du 92" not in cover
    assert "proche" not in cover and "GeoNames" not in cover
    assert "Lieux labellisés de votre commune, puis du département" in cover


def test_a_batch_prints_each_booklets_own_booking_and_the_venues_distances(app: Flask) -> None:
    """The booking is the booklet's own (the others say none is booked); distances follow
    the venues in order, an unknown one prints none; the heading says "nearest"."""
    world = World()
    booked = issue(world.issuer78, make_beneficiary(world.issuer78))
    other = issue(world.issuer78, make_beneficiary(world.issuer78))
    near, unplaced = make_venue(world.d78), make_venue(world.d78)
    near.name, unplaced.name = "Lieu Proche", "Lieu Sans Position"
    starts_at = datetime(2027, 3, 9, 13, 30, tzinfo=UTC)
    booking = CoverBooking(title="Premiers pas sur tablette", starts_at=starts_at,
                           venue_name="Lieu Proche", address="3 rue Neuve, 78000 Versailles")

    pdf = render([booked, other], nearby_venues=[near, unplaced], distances_km=[3.24, None],
                 bookings={booked.id: booking})

    first, second = (flat(page_texts(pdf)[i]) for i in (0, 3))
    assert "Premier atelier : 09/03/2027 14:30 — Premiers pas sur tablette" in first
    assert "Lieu de l'atelier : Lieu Proche, 3 rue Neuve, 78000 Versailles" in first
    assert "Premier atelier : aucun atelier réservé" in second
    assert "Premiers pas" not in second
    for cover in (first, second):
        assert "Lieux labellisés les plus proches de chez vous" in cover
        assert "· à 3,2 km" in cover and cover.count(" km") == 1
        # the source of the person's commune's position, in the note over the list
        assert "Positions des communes : GeoNames (CC BY 4.0)." in " ".join(cover.split())

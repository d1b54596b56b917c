"""The phone scanner in a browser: a fake camera, manual entry, and every refusal shown.

The camera test films a QR code cut out of a real booklet PDF: the PDF is rendered by
``render_booklets``, rasterised with pypdfium2, the first voucher's code located with
zxing-cpp, and the crop written as a YUV4MPEG2 video that Chromium plays as its camera.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from passnum.auth.models import User
from passnum.booklets.models import Booklet, BookletStatus, Voucher
from passnum.booklets.pdf import render_booklets
from passnum.booklets.services import revoke_booklet
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.core.signing import sign_serial, voucher_url
from passnum.extensions import db
from passnum.programmes.models import Programme
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.sample.demo import DEMO_PASSWORD
from passnum.venues.models import LabelStatus, Venue, Workshop, WorkshopTheme
from tests.browser.conftest import (
    ACTION_TIMEOUT_MS,
    CHROMIUM_ARGS,
    LAUNCH_TIMEOUT_MS,
    BrowserErrors,
    LiveServer,
)
from tests.factories import issue, make_beneficiary

pytestmark = pytest.mark.browser

AGENT = "venue78@demo.passnum.fr"
ISSUER = "issuer78@demo.passnum.fr"
VENUE_NAME = "Médiathèque de Sartrouville"
PHONE = {"width": 360, "height": 740}
FRAME_SIZE = (640, 480)
QR_SIDE_IN_FRAME = 400
RENDER_DPI = 150
# The browser logs every 4xx answer of the API as a console error: refusals are expected.
API_REFUSALS = r"status of 4\d\d .*/api/v1/"


# --- a fake camera filming a printed voucher --------------------------------------------


def first_voucher_qr(pdf_bytes: bytes) -> tuple[Image.Image, str]:
    """Render the first voucher page and cut out its first QR code (with a quiet zone).

    Returns the crop and the text zxing-cpp decodes from it.
    """
    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        page = document[1]  # page 0 is the cover
        bitmap = page.render(scale=RENDER_DPI / 72, grayscale=True)
        image = bitmap.to_pil().convert("L").copy()
        bitmap.close()
        page.close()
    finally:
        document.close()
    codes = [b for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCodeModel2)
             if b.valid]
    assert codes, "no QR code found on the first voucher page"
    first = min(codes, key=lambda b: b.position.top_left.y)
    corners = [first.position.top_left, first.position.top_right,
               first.position.bottom_left, first.position.bottom_right]
    left, right = min(p.x for p in corners), max(p.x for p in corners)
    top, bottom = min(p.y for p in corners), max(p.y for p in corners)
    margin = (right - left) // 8
    crop = image.crop((left - margin, top - margin, right + margin, bottom + margin))
    return crop, first.text


def camera_frame(qr: Image.Image, size: tuple[int, int] = FRAME_SIZE) -> Image.Image:
    """The QR crop centred on a white frame, as a phone held over a voucher would see it."""
    frame = Image.new("RGB", size, "white")
    scaled = qr.convert("RGB").resize((QR_SIDE_IN_FRAME, QR_SIDE_IN_FRAME),
                                      Image.Resampling.NEAREST)
    frame.paste(scaled, ((size[0] - QR_SIDE_IN_FRAME) // 2, (size[1] - QR_SIDE_IN_FRAME) // 2))
    return frame


def write_y4m(frame: Image.Image, path: Path, frames: int = 10) -> Path:
    """Write ``frames`` copies of ``frame`` as a YUV4MPEG2 4:2:0 video (Chromium's fake camera).

    Each frame is ``FRAME`` then the full-size Y plane and the half-size U and V planes.
    """
    width, height = frame.size
    y_plane, u_plane, v_plane = frame.convert("RGB").convert("YCbCr").split()
    half = (width // 2, height // 2)
    data = (b"FRAME\n" + y_plane.tobytes()
            + u_plane.resize(half, Image.Resampling.BOX).tobytes()
            + v_plane.resize(half, Image.Resampling.BOX).tobytes())
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(data)
    return path


def camera_args(video: Path) -> list[str]:
    """Chromium flags for a fake camera playing ``video``, with the permission granted."""
    return [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"]


# --- data set-up through the served app -------------------------------------------------


@contextmanager
def served_db(live_server: LiveServer) -> Iterator[None]:
    """Work on the served database; commit and hand the connection back at the end."""
    with live_server.app_context():
        try:
            yield
            db.session.commit()
        finally:
            db.session.remove()


def new_booklet(live_server: LiveServer, **changes: object) -> dict[str, object]:
    """Issue a booklet as the demo issuer; apply ``changes`` to it; return its codes."""
    with served_db(live_server):
        issuer = db.session.scalar(select(User).where(User.email == ISSUER))
        booklet = issue(issuer, make_beneficiary(issuer))
        for name, value in changes.items():
            setattr(booklet, name, value)
        return {"id": booklet.id, "number": booklet.number,
                "codes": [v.manual_code for v in booklet.vouchers],
                "serials": [v.serial for v in booklet.vouchers]}


def booklet_pdf(live_server: LiveServer, booklet_id: int) -> bytes:
    """The booklet's PDF as the issuer prints it."""
    with served_db(live_server):
        booklet = db.session.scalar(select(Booklet).options(selectinload(Booklet.vouchers))
                                    .where(Booklet.id == booklet_id))
        out = io.BytesIO()
        render_booklets([booklet], out)
        return out.getvalue()


def new_workshop(live_server: LiveServer, *, title: str, price: int = 1,
                 capacity: int = 10) -> int:
    """A workshop of the demo agent's venue starting in a few minutes; return its id."""
    with served_db(live_server):
        venue = db.session.scalar(select(Venue).where(Venue.name == VENUE_NAME))
        theme = db.session.scalar(select(WorkshopTheme).order_by(WorkshopTheme.id))
        workshop = Workshop(venue=venue, theme=theme, title=title, duration_minutes=90,
                            capacity=capacity, price_vouchers=price,
                            starts_at=clock.now() + timedelta(minutes=5))
        db.session.add(workshop)
        db.session.flush()
        return workshop.id


def live_lines(live_server: LiveServer, serial: str) -> list[tuple[int, int | None]]:
    """(redemption id, workshop id) of each live redemption line of the voucher."""
    with served_db(live_server):
        return [tuple(row) for row in db.session.execute(
            select(Redemption.id, Redemption.workshop_id)
            .join(RedemptionLine, RedemptionLine.redemption_id == Redemption.id)
            .join(Voucher, Voucher.id == RedemptionLine.voucher_id)
            .where(Voucher.serial == serial, RedemptionLine.undone_at.is_(None)))]


def redemption_count(live_server: LiveServer) -> int:
    """Redemptions in the database, undone ones included."""
    with served_db(live_server):
        return db.session.scalar(select(func.count()).select_from(Redemption))


# --- the page ---------------------------------------------------------------------------


def log_in_and_scan(page: Page, email: str = AGENT) -> None:
    """Log in through the form; the home page of a venue agent is the scanner."""
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url("/scan")
    expect(page.locator("h1")).to_have_text("Scanner les chèques")
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "true")


def pick_workshop(page: Page, workshop_id: int | None) -> None:
    """Choose a workshop (None: "Sans atelier") in the picker."""
    page.get_by_label("Atelier").select_option("" if workshop_id is None else str(workshop_id))


def type_code(page: Page, code: str) -> None:
    """Type a code in the manual entry and validate it with the Enter key."""
    field = page.get_by_label("Code du chèque")
    field.fill(code)
    field.press("Enter")


def expect_verdict(page: Page, state: str, code: str, text: str) -> None:
    """Wait for the verdict area to show ``state`` (ok/bad), ``code`` and ``text``."""
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-code", code)
    expect(verdict).to_have_attribute("data-state", state)
    expect(verdict).to_contain_text(text)


@pytest.fixture
def scanner(page: Page, browser_errors: BrowserErrors) -> Page:
    """The scanner page of the demo venue agent, on a phone-sized window."""
    browser_errors.allow(API_REFUSALS)
    page.set_viewport_size(PHONE)
    log_in_and_scan(page)
    return page


# --- the tests --------------------------------------------------------------------------


def test_fake_camera_scans_a_printed_voucher_then_sees_it_already_redeemed(
    browser: Browser, chromium_executable: str, live_server: LiveServer, tmp_path: Path,
    browser_errors: BrowserErrors,
) -> None:
    """DONE 1: the camera reads a voucher from the PDF, redeems it, then refuses it."""
    booklet = new_booklet(live_server)
    workshop_id = new_workshop(live_server, title="Atelier caméra")
    qr, text = first_voucher_qr(booklet_pdf(live_server, booklet["id"]))
    serial = booklet["serials"][0]
    with live_server.app_context():
        assert text == voucher_url(sign_serial(serial))
    video = write_y4m(camera_frame(qr), tmp_path / "voucher.y4m")

    camera_browser = browser.browser_type.launch(
        executable_path=chromium_executable, args=camera_args(video), headless=True,
        timeout=LAUNCH_TIMEOUT_MS)
    try:
        context = camera_browser.new_context(
            base_url=live_server.url, viewport=PHONE, locale="fr-FR",
            timezone_id="Europe/Paris", permissions=["camera"])
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = context.new_page()
        page.on("console", lambda m: browser_errors.seen.append(
            f"console error: {m.text} ({m.location.get('url')})") if m.type == "error" else None)
        page.on("pageerror", lambda exc: browser_errors.seen.append(f"page error: {exc}"))
        browser_errors.allow(r"status of 409 .*/api/v1/redemptions")

        log_in_and_scan(page)
        pick_workshop(page, workshop_id)
        page.get_by_role("button", name="Démarrer la caméra").click()
        expect(page.locator("#camera-status")).to_contain_text("Caméra active")
        expect_verdict(page, "ok", "ok", f"Encaissé : {serial}, 10,00\u00a0€")
        expect(page.locator("#verdict")).to_contain_text("Atelier caméra")
        expect(page.get_by_role("button", name="Annuler cet encaissement")).to_be_visible()
        assert len(live_lines(live_server, serial)) == 1

        # the code stays in view longer than the quiet time after a read (3 s): it is not
        # sent again until the agent asks for it
        page.wait_for_timeout(3500)
        expect(page.locator("#verdict")).to_have_attribute("data-state", "ok")
        assert redemption_count(live_server) == 1

        page.get_by_role("button", name="Scanner à nouveau").click()
        expect_verdict(page, "bad", "already_redeemed", "Chèque déjà encaissé le ")
        expect(page.locator("#verdict")).to_contain_text(f"par « {VENUE_NAME} »")
        context.close()
    finally:
        camera_browser.close()

    lines = live_lines(live_server, serial)
    assert len(lines) == 1 and lines[0][1] == workshop_id
    assert redemption_count(live_server) == 1
    assert not browser_errors.unexpected(), browser_errors.unexpected()


def test_manual_entry_redeems_and_undo_gives_the_voucher_back(
    scanner: Page, live_server: LiveServer
) -> None:
    """Typed codes and pasted links redeem; "Annuler" undoes the last one."""
    booklet = new_booklet(live_server)
    first, second = booklet["serials"][:2]
    type_code(scanner, booklet["codes"][0].lower())
    expect_verdict(scanner, "ok", "ok", f"Encaissé : {first}, 10,00\u00a0€")
    with live_server.app_context():
        link = voucher_url(sign_serial(second))
    type_code(scanner, link)
    expect_verdict(scanner, "ok", "ok", f"Encaissé : {second}, 10,00\u00a0€")
    assert len(live_lines(live_server, second)) == 1

    scanner.get_by_role("button", name="Annuler cet encaissement").click()
    expect_verdict(scanner, "info", "undone", "de nouveau utilisable")
    assert live_lines(live_server, second) == []
    assert len(live_lines(live_server, first)) == 1
    expect(scanner.locator("#history-list li")).to_have_count(3)


def test_basket_for_a_workshop_costing_two_vouchers(scanner: Page, live_server: LiveServer) -> None:
    """Two vouchers go into the basket, "Encaisser" takes both in one redemption."""
    booklet = new_booklet(live_server)
    workshop_id = new_workshop(live_server, title="Atelier double", price=2)
    scanner.reload()
    pick_workshop(scanner, workshop_id)
    basket = scanner.locator("#basket")
    expect(basket).to_be_visible()
    pay = scanner.get_by_role("button", name="Encaisser", exact=True)
    type_code(scanner, booklet["codes"][0])
    expect(scanner.locator("#verdict")).to_contain_text("ajouté au panier (1 sur 2)")
    expect(pay).to_be_disabled()
    type_code(scanner, booklet["codes"][0])
    expect_verdict(scanner, "bad", "duplicate_code", "déjà dans le panier")
    type_code(scanner, booklet["codes"][1])
    expect(scanner.locator("#verdict")).to_contain_text("ajouté au panier (2 sur 2)")
    pay.click()
    serials = ", ".join(booklet["serials"][:2])
    expect_verdict(scanner, "ok", "ok", f"Encaissé : {serials}, 20,00\u00a0€")
    expect(basket.locator("li")).to_have_count(0)
    first = live_lines(live_server, booklet["serials"][0])
    assert first == live_lines(live_server, booklet["serials"][1])
    assert len(first) == 1 and first[0][1] == workshop_id


def test_voucher_refusals_are_shown_with_their_reason(
    scanner: Page, live_server: LiveServer
) -> None:
    """DONE 4 (voucher side): each reason shows red, in French, with its code."""
    day = clock.today()
    used = new_booklet(live_server)
    revoked = new_booklet(live_server)
    expired = new_booklet(live_server, valid_from=day - timedelta(days=400),
                          expires_on=day - timedelta(days=1))
    early = new_booklet(live_server, valid_from=day + timedelta(days=3))
    stock = new_booklet(live_server, status=BookletStatus.IN_STOCK, beneficiary_id=None)
    with served_db(live_server):
        issuer = db.session.scalar(select(User).where(User.email == ISSUER))
        with unit_of_work():
            revoke_booklet(issuer, db.session.get(Booklet, revoked["id"]), reason="stolen")

    type_code(scanner, used["codes"][0])
    expect_verdict(scanner, "ok", "ok", "Encaissé")
    cases = [
        (used["codes"][0], "already_redeemed", "Chèque déjà encaissé le "),
        (revoked["codes"][0], "voucher_revoked",
         "Chèque annulé : son chéquier a été déclaré « volé »"),
        (expired["codes"][0], "voucher_expired", "Chèque expiré : il était valable jusqu'au"),
        (early["codes"][0], "not_yet_valid", "Chèque pas encore valable"),
        (stock["codes"][0], "not_activated", "pas encore été remis à son bénéficiaire"),
        ("78-ZZZZ-ZZZZ-01.pas-une-signature", "invalid_code", "Code non reconnu"),
        ("K7M2-9QXP-4TJ6", "unknown_code", "Aucun chèque ne correspond à ce code"),
    ]
    for code, reason, message in cases:
        type_code(scanner, code)
        expect_verdict(scanner, "bad", reason, message)
        expect(scanner.locator("#verdict")).to_contain_text("Chèque refusé")
        if reason == "already_redeemed":
            expect(scanner.locator("#verdict")).to_contain_text(f"par « {VENUE_NAME} ».")
    expect(scanner.locator("#verdict")).to_have_css("background-color", "rgb(164, 22, 26)")

    late = new_booklet(live_server)
    with served_db(live_server):
        db.session.scalar(select(Programme)).closed_at = clock.now()
    type_code(scanner, late["codes"][0])
    expect_verdict(scanner, "bad", "programme_closed", "Le programme de ce chèque est clos")


def test_venue_and_workshop_refusals_are_shown_with_their_reason(
    scanner: Page, live_server: LiveServer
) -> None:
    """DONE 4 (venue and workshop side): refusals decided when redeeming."""
    booklet = new_booklet(live_server)
    codes = booklet["codes"]
    full = new_workshop(live_server, title="Atelier complet", capacity=1)
    past = new_workshop(live_server, title="Atelier d'avant-hier")
    cancelled = new_workshop(live_server, title="Atelier annulé")
    repriced = new_workshop(live_server, title="Atelier devenu double")
    scanner.reload()
    pick_workshop(scanner, full)
    type_code(scanner, codes[0])
    expect_verdict(scanner, "ok", "ok", "Encaissé")
    type_code(scanner, codes[1])
    expect_verdict(scanner, "bad", "workshop_full", "Cet atelier est complet")

    # the page was loaded earlier: meanwhile the workshops changed on the server
    with served_db(live_server):
        db.session.get(Workshop, past).starts_at = clock.now() - timedelta(days=2)
        db.session.get(Workshop, cancelled).cancelled_at = clock.now()
        db.session.get(Workshop, repriced).price_vouchers = 2
    for workshop_id, reason, message in [
        (past, "workshop_past", "Cet atelier est déjà passé"),
        (cancelled, "workshop_cancelled", "Cet atelier a été annulé"),
        (repriced, "wrong_voucher_count", "Cet atelier coûte 2 chèques"),
    ]:
        pick_workshop(scanner, workshop_id)
        type_code(scanner, codes[1])
        expect_verdict(scanner, "bad", reason, message)

    with served_db(live_server):
        venue = db.session.scalar(select(Venue).where(Venue.name == VENUE_NAME))
        venue.label_status = LabelStatus.SUSPENDED
    pick_workshop(scanner, None)
    type_code(scanner, codes[1])
    expect_verdict(scanner, "bad", "venue_not_active", "Le label de ce lieu n'est pas actif")
    assert live_lines(live_server, booklet["serials"][1]) == []


def test_camera_refused_keeps_manual_entry(scanner: Page, live_server: LiveServer) -> None:
    """Without a camera the page says so in French, and typed codes still redeem."""
    scanner.get_by_role("button", name="Démarrer la caméra").click()
    status = scanner.locator("#camera-status")
    expect(status).not_to_contain_text("démarrage")
    expect(status).to_contain_text("saisissez le code du chèque")
    booklet = new_booklet(live_server)
    type_code(scanner, booklet["codes"][0])
    expect_verdict(scanner, "ok", "ok", "Encaissé")


def test_scanner_fits_a_phone_and_is_keyboard_usable(
    scanner: Page, live_server: LiveServer
) -> None:
    """360 px wide without sideways scrolling; Tab reaches the code field, Enter sends it."""
    width = scanner.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    booklet = new_booklet(live_server)
    field = scanner.get_by_label("Code du chèque")
    scanner.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(25):
        scanner.keyboard.press("Tab")
        if field.evaluate("el => el === document.activeElement"):
            break
    expect(field).to_be_focused()
    scanner.keyboard.type(booklet["codes"][0])
    scanner.keyboard.press("Enter")
    expect_verdict(scanner, "ok", "ok", "Encaissé")
    expect(field).to_be_focused()
    assert scanner.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


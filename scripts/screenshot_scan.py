"""Take the README's screenshot of the scanner (``docs/scan-360.png``) on a 360 px phone.

Serves passnum on a temporary SQLite database with the demo data, issues a booklet,
films the first QR code of its PDF with Chromium's fake camera, and photographs /scan
as the demo venue agent just after the camera has read and redeemed that voucher.

    .venv/bin/python scripts/screenshot_scan.py [--out docs/scan-360.png]

Needs the dev dependencies (Playwright, pypdfium2, zxing-cpp, Pillow), Chromium
(``PASSNUM_TEST_CHROMIUM``, default ``/usr/bin/chromium``) and ``static/vendor/jsQR.js``
(``make assets``).
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PHONE = {"width": 360, "height": 740}
MAX_BYTES = 150_000
AGENT = "venue78@demo.passnum.fr"
ISSUER = "issuer78@demo.passnum.fr"
TIMEOUT_MS = 15_000


@contextmanager
def demo_server(workdir: Path) -> Iterator[tuple[str, object]]:
    """Serve passnum with the demo data on a free local port; yield (URL, app)."""
    from passnum import create_app
    from passnum.core.db import unit_of_work
    from passnum.extensions import db
    from passnum.sample.demo import load_demo
    from tests.liveserver import serve

    def build(url: str) -> object:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'screenshot.sqlite3'}",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "VOUCHER_KEYS": [secrets.token_urlsafe(32)],
            "BASE_URL": url,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        })
        with app.app_context():
            db.create_all()
            with unit_of_work():
                load_demo()
        return app

    with serve(build) as served:
        yield served


def fake_camera_video(app: object, workdir: Path) -> Path:
    """Issue a demo booklet and film the first QR code of its PDF (a Y4M file)."""
    from sqlalchemy import select

    from passnum.auth.models import User
    from passnum.booklets.pdf import render_booklets
    from passnum.extensions import db
    from tests.browser.test_scanner import camera_frame, first_voucher_qr, write_y4m
    from tests.factories import issue, make_beneficiary

    with app.app_context():
        issuer = db.session.scalar(select(User).where(User.email == ISSUER))
        booklet = issue(issuer, make_beneficiary(issuer, first_name="Camille",
                                                 last_name="Exemple"))
        pdf = io.BytesIO()
        render_booklets([booklet], pdf)
        db.session.remove()
    qr, _text = first_voucher_qr(pdf.getvalue())
    return write_y4m(camera_frame(qr), workdir / "voucher.y4m")


def photograph(url: str, video: Path, out: Path) -> None:
    """Log in as the venue agent, start the camera, wait for the verdict, screenshot."""
    from playwright.sync_api import expect, sync_playwright

    from passnum.sample.demo import DEMO_PASSWORD
    from tests.browser.test_scanner import camera_args

    chromium = os.environ.get("PASSNUM_TEST_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=camera_args(video))
        context = browser.new_context(base_url=url, viewport=PHONE, device_scale_factor=1,
                                      locale="fr-FR", timezone_id="Europe/Paris",
                                      permissions=["camera"])
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto("/connexion")
        page.get_by_label("Adresse e-mail").fill(AGENT)
        page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.locator("h1")).to_have_text("Scanner les chèques")
        page.goto("/scan")  # without the "connected" message
        expect(page.locator("#scanner")).to_have_attribute("data-ready", "true")
        page.get_by_role("button", name="Démarrer la caméra").click()
        expect(page.locator("#verdict")).to_have_attribute("data-state", "ok")
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        png = page.screenshot(full_page=True)
        browser.close()
    save_small(png, out)


def save_small(png: bytes, out: Path) -> None:
    """Write the screenshot as a palette PNG (a flat UI needs no more than 128 colours)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out.parent.mkdir(parents=True, exist_ok=True)
    small.save(out, optimize=True)
    size = out.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{out} is {size} bytes, more than {MAX_BYTES}")
    print(f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: {size} bytes")


def main() -> None:
    """Parse the arguments and take the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "scan-360.png")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with demo_server(workdir) as (url, app):
            video = fake_camera_video(app, workdir)
            photograph(url, video, args.out.resolve())


if __name__ == "__main__":
    main()

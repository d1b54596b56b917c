"""Take the README's screenshot of the managers' dashboard (``docs/dashboard.png``).

Serves passnum on a temporary SQLite database filled by the seed generator (a few
thousand beneficiaries over the programme's first years), logs in as the Yvelines
manager and photographs ``/tableau-de-bord/`` at 1280 px.

    .venv/bin/python scripts/screenshot_dashboard.py [--out docs/dashboard.png]

Needs the dev dependencies (Playwright, Pillow) and Chromium (``PASSNUM_TEST_CHROMIUM``,
default ``/usr/bin/chromium``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESKTOP = {"width": 1280, "height": 1700}
BENEFICIARIES = 3000
TIMEOUT_MS = 20_000


def main() -> None:
    """Seed, serve, log in, screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import expect, sync_playwright

    from passnum import create_app
    from passnum.core.db import unit_of_work
    from passnum.extensions import db
    from passnum.sample.accounts import sample_code
    from passnum.sample.seed import SEED_DOMAIN, SEED_PASSWORD, seed
    from scripts.screenshot_scan import save_small
    from tests.browser.conftest import CHROMIUM_ARGS
    from tests.liveserver import serve

    with tempfile.TemporaryDirectory() as workdir:
        def build(url: str):
            app = create_app({
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(workdir) / 'dashboard.sqlite3'}",
                "SECRET_KEY": secrets.token_urlsafe(32),
                "VOUCHER_KEYS": [secrets.token_urlsafe(32)],
                "BASE_URL": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            })
            with app.app_context():
                db.create_all()
                with unit_of_work():
                    seed(beneficiaries=BENEFICIARIES, rng_seed=7)
            return app

        with serve(build) as (url, _app), sync_playwright() as playwright:
            chromium = os.environ.get("PASSNUM_TEST_CHROMIUM", "/usr/bin/chromium")
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=url, viewport=DESKTOP, locale="fr-FR",
                                          timezone_id="Europe/Paris")
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.goto("/connexion")
            page.get_by_label("Adresse e-mail").fill(f"manager78@{SEED_DOMAIN}")
            page.get_by_label("Mot de passe").fill(SEED_PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Se connecter").click()
            if "/connexion/code" in page.url:  # the published key of generated accounts
                page.get_by_label("Code à 6 chiffres").fill(sample_code())
                page.get_by_role("button", name="Valider").click()
            page.goto("/tableau-de-bord/")
            expect(page.locator("svg").first).to_be_visible()
            png = page.screenshot(full_page=False)
            browser.close()
    save_small(png, args.out)
    print(f"{args.out.relative_to(ROOT)}: {args.out.stat().st_size} bytes")


if __name__ == "__main__":
    main()

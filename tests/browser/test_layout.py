"""The issuer's pages on a 360 px phone: no sideways scrolling, labelled, keyboard-usable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from passnum.auth.models import User
from passnum.extensions import db
from tests.browser.conftest import LiveServer
from tests.factories import issue, make_beneficiary

pytestmark = pytest.mark.browser

ISSUER = "issuer78@demo.passnum.fr"
PHONE_WIDTH = 360
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Controls (not hidden) with no label text, no aria-label and no aria-labelledby.
UNLABELLED_JS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(
    Array.from(el.labels || []).some(l => l.textContent.trim())
    || (el.getAttribute('aria-label') || '').trim()
    || el.getAttribute('aria-labelledby')))
  .map(el => el.outerHTML)"""

# Tag every visible, enabled control with a key; a radio group is one Tab stop. (The
# links of the folded menu are not visible, hence not expected, until it is opened.)
TAG_CONTROLS_JS = """() => {
  const controls = Array.from(document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea'))
    .filter(el => !el.disabled && el.checkVisibility());
  const keys = new Set();
  controls.forEach((el, i) => {
    const key = el.type === 'radio' ? 'radio:' + el.name
      : el.tagName.toLowerCase() + '#' + i + ' ' + (el.id || el.textContent.trim());
    el.dataset.kb = key;
    keys.add(key);
  });
  return Array.from(keys);
}"""


@pytest.fixture
def viewport() -> dict[str, int]:
    """A small phone held upright."""
    return {"width": PHONE_WIDTH, "height": 740}


def issued_booklet_id(live_server: LiveServer) -> int:
    """Record a person with a long name and issue their booklet, as the demo issuer."""
    with live_server.app_context():
        issuer = db.session.scalar(select(User).where(User.email == ISSUER))
        person = make_beneficiary(
            issuer, last_name="de La Rochefoucauld-Montmorency",
            first_name="Marie-Bernadette Éléonore",
        )
        booklet_id = issue(issuer, person).id
        db.session.remove()
    return booklet_id


def assert_phone_layout(page: Page) -> None:
    """No horizontal scroll, every control labelled, every control reachable with Tab."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} scrolls sideways: {width} px wide"
    assert page.evaluate(UNLABELLED_JS) == [], page.url
    expected = set(page.evaluate(TAG_CONTROLS_JS))
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    # A date input takes one Tab stop per part (day, month, year): allow for a few.
    missing = set(expected)
    for _ in range(3 * len(expected) + 5):
        page.keyboard.press("Tab")
        missing.discard(page.evaluate("() => document.activeElement?.dataset?.kb || null"))
        if not missing:
            break
    assert not missing, f"{page.url}: not reachable with Tab: {sorted(missing)}"


def test_issuer_pages_fit_a_phone_and_work_with_the_keyboard(
    page: Page, live_server: LiveServer, log_in: Callable[..., None]
) -> None:
    """Login, new-person form and booklet page: 360 px wide, labelled, reachable with Tab."""
    booklet_id = issued_booklet_id(live_server)

    page.goto("/connexion")
    expect(page.locator("h1")).to_have_text("Connexion")
    assert_phone_layout(page)

    log_in(ISSUER)
    page.goto("/beneficiaires/nouveau")
    expect(page.locator("h1")).to_have_text("Nouveau bénéficiaire")
    assert_phone_layout(page)

    page.goto(f"/chequiers/{booklet_id}")
    expect(page.locator("h1")).to_contain_text("Chéquier n° 78-")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "booklet-360.png"), full_page=True)
    assert_phone_layout(page)


def test_login_with_the_keyboard_only(page: Page) -> None:
    """Tab to the e-mail field, type, Tab, type the password, Enter: logged in."""
    page.goto("/connexion")
    email = page.get_by_label("Adresse e-mail")
    for _ in range(10):
        page.keyboard.press("Tab")
        if email.evaluate("el => el === document.activeElement"):
            break
    expect(email).to_be_focused()
    page.keyboard.type(ISSUER)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mot de passe")).to_be_focused()
    page.keyboard.type("passnum-demo")
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_have_text("Vous êtes connecté(e).")
    expect(page.locator("h1")).to_have_text("Bénéficiaires")


def test_the_menu_folds_on_a_phone_and_opens_with_the_keyboard(
    page: Page, log_in: Callable[..., None]
) -> None:
    """On a phone the navigation is one "Menu" button (no script needed: a disclosure),
    so the page's title is on the first screen; Tab reaches it, Enter opens and closes
    it. On a desktop screen the links show without opening anything."""
    log_in(ISSUER)
    page.goto("/stock")
    nav = page.get_by_role("navigation", name="Navigation principale")
    stock = nav.get_by_role("link", name="Stock")
    expect(stock).to_be_hidden()
    expect(page.locator("main h1")).to_be_in_viewport(ratio=1)

    menu = page.locator(".site-menu > summary")
    expect(menu).to_have_text("Menu")
    for _ in range(5):
        page.keyboard.press("Tab")
        if menu.evaluate("el => el === document.activeElement"):
            break
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(stock).to_be_visible()
    expect(stock).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Lieux labellisés")).to_be_focused()
    menu.focus()
    page.keyboard.press("Enter")
    expect(stock).to_be_hidden()

    page.set_viewport_size({"width": 1280, "height": 800})
    expect(menu).to_be_hidden()
    expect(stock).to_be_visible()
    stock.click()
    expect(page.locator("main h1")).to_contain_text("Stock")

"""Every page of every role on a 360 × 740 phone: nothing wider than the screen.

The pages are not listed by hand: they are the GET routes of the app's URL map that
the route policy (``passnum.auth.policy``) opens to the role, so a new page is visited
the day it is added. Routes that need an id get a real one from the data set up here
(the demo plus a person, an issued booklet, a stock booklet, redemptions and a
statement); what answers with something other than an HTML page (CSV, PDF, XLSX, JSON,
scripts) is not a page and is skipped. On each page the document must not be wider than
the viewport, every visible control (link, button, field) must be on the screen or in a
sideways-scrolling frame that is itself on the screen, such a frame must be a named,
focusable region with a visible cue, the content must start on the
first screen, and axe-core (run on every load by the ``page`` fixture) must find no
serious or critical violation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from passnum.auth.models import User
from passnum.auth.policy import policy_for
from passnum.auth.reset import reset_token
from passnum.booklets.models import Booklet
from passnum.booklets.services import issue_booklet, issue_stock
from passnum.core.clock import PARIS, frozen, now, today
from passnum.core.db import unit_of_work
from passnum.core.signing import sign_serial
from passnum.extensions import db
from passnum.messages.optout import stop_code
from passnum.programmes.models import Programme
from passnum.redemptions.services import redeem
from passnum.statements.services import generate
from passnum.venues.models import Venue, Workshop
from tests.browser.conftest import LiveServer, log_in_page
from tests.factories import make_beneficiary

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 360, 740
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# screenshots for a person to look at, only when asked: they cost about a third of the run
SHOTS = os.environ.get("PASSNUM_TEST_PHONE_SHOTS") == "1"
DEMO = "demo.passnum.fr"
ROLES = {
    "anonymous": None,
    "admin": f"admin@{DEMO}",
    "manager": f"manager78@{DEMO}",
    "issuer": f"issuer78@{DEMO}",
    "venue_agent": f"venue78@{DEMO}",
}
# Not pages: files, the scanner's service worker, the health probe, the JSON API, and
# the downloads (a URL ending in an extension: export.csv, rapport.pdf...).
NOT_PAGES = {"static", "redemptions.service_worker", "health.healthz"}
DOWNLOAD = re.compile(r"\.[a-z]+$")

# Visible controls that stick out of the viewport sideways, unless they sit in a
# sideways-scrolling frame that is itself within the viewport. The skip link waits off
# screen until it is focused, by design.
OFF_SCREEN_JS = """([width]) => {
  const inside = r => r.left >= -1 && r.right <= width + 1;
  const scroller = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (['auto', 'scroll'].includes(style.overflowX) && p.scrollWidth > p.clientWidth)
        return p;
    }
    return null;
  };
  return Array.from(document.querySelectorAll('a, button, input, select, textarea'))
    .filter(el => el.type !== 'hidden' && !el.classList.contains('skip-link'))
    .filter(el => el.checkVisibility({visibilityProperty: true}))
    .filter(el => { const r = el.getBoundingClientRect(); return r.width > 1 && r.height > 1; })
    .filter(el => !inside(el.getBoundingClientRect()))
    .filter(el => { const frame = scroller(el);
      return !(frame && inside(frame.getBoundingClientRect())); })
    .map(el => el.tagName.toLowerCase() + ' "' + (el.textContent || el.name || el.id)
      .trim().slice(0, 40) + '" at ' + Math.round(el.getBoundingClientRect().left) + '..'
      + Math.round(el.getBoundingClientRect().right) + ' px');
}"""

# What scrolls sideways must say so: a region named for the keyboard and screen
# readers (focusable, so that the arrow keys scroll it) with a visible cue.
SCROLLERS_JS = """() => Array.from(document.querySelectorAll('body *'))
  .filter(el => !['TEXTAREA', 'SELECT', 'INPUT'].includes(el.tagName))
  .filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX)
    && el.scrollWidth > el.clientWidth + 1 && el.checkVisibility())
  .filter(el => !(el.tabIndex >= 0 && el.getAttribute('role') === 'region'
    && (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))
    && Array.from(el.querySelectorAll('.scroll-cue'))
      .some(cue => cue.checkVisibility())))
  .map(el => el.tagName.toLowerCase() + '.' + el.className + ' ('
    + (el.querySelector('caption')?.textContent.trim() || el.textContent.trim().slice(0, 40))
    + ')')"""


@pytest.fixture
def viewport() -> dict[str, int]:
    """A small phone held upright."""
    return {"width": WIDTH, "height": HEIGHT}


def populate(live_server: LiveServer) -> dict[str, int | str]:
    """Add to the demo what every page needs to show something; return the ids to put
    in the URLs, by URL argument name (``handout_booklet_id``: a booklet in stock)."""
    last_month = today().replace(day=1) - timedelta(days=1)
    mid_last_month = datetime.combine(last_month.replace(day=15), time(10), PARIS)
    with live_server.app_context():
        try:
            issuer = db.session.scalar(select(User).where(User.email == ROLES["issuer"]))
            agent = db.session.scalar(select(User).where(User.email == ROLES["venue_agent"]))
            with frozen(mid_last_month.astimezone(UTC)):
                person = make_beneficiary(issuer, last_name="de La Rochefoucauld-Montmorency",
                                          first_name="Marie-Bernadette Éléonore")
                with unit_of_work():
                    booklet = issue_booklet(issuer, person)
                    vouchers = sorted(booklet.vouchers, key=lambda v: v.serial)
                with unit_of_work():
                    redeem([v.manual_code for v in vouchers[:2]], venue=agent.venue,
                           workshop=None, actor=agent, channel="test")
            with unit_of_work():  # today's, still within the undo window
                redeem([vouchers[2].manual_code], venue=agent.venue, workshop=None,
                       actor=agent, channel="test")
            with unit_of_work():
                statement = generate(None, agent.venue, agent.venue.departement,
                                     last_month.replace(day=1)).statement
                issue_stock(issuer, issuer.structure, count=1)
                code = stop_code(person.id)
            stock_id = db.session.scalar(select(Booklet.id).where(
                Booklet.beneficiary_id.is_(None), Booklet.structure_id == issuer.structure_id))
            return {
                "beneficiary_id": person.id, "booklet_id": booklet.id,
                "handout_booklet_id": stock_id,
                "programme_id": db.session.scalar(select(Programme.id)),
                "venue_id": db.session.scalar(select(Venue.id).order_by(Venue.id.desc())),
                "slug": agent.venue.slug,  # a venue with an active label: its public page
                "workshop_id": db.session.scalar(select(Workshop.id).where(
                    Workshop.venue_id == agent.venue_id)),
                "statement_id": statement.id,
                "token": sign_serial(vouchers[-1].serial),
                "reset_token": reset_token(issuer, now()),
                "stop_code": code,
                "redeemed_serial": vouchers[0].serial, "last_name": person.last_name,
            }
        finally:
            db.session.remove()


def pages_of(live_server: LiveServer, role: str | None,
             ids: dict[str, int | str]) -> list[str]:
    """The URL of every GET route the policy opens to ``role``, with real ids."""
    urls = []
    for rule in live_server.app.url_map.iter_rules():
        endpoint = rule.endpoint
        if ("GET" not in (rule.methods or set()) or endpoint in NOT_PAGES
                or endpoint.startswith("api.") or DOWNLOAD.search(rule.rule)):
            continue
        policy = policy_for(endpoint, "GET")
        if policy is None or not policy.allows(role):
            continue
        url = rule.rule
        for name in rule.arguments:
            key = "handout_booklet_id" if endpoint == "booklets.handout_booklet" else name
            url = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", str(ids[key]), url)
        urls.append(url)
    return sorted(urls)


def check_page(page: Page, url: str, problems: list[str], shot: Path) -> str | None:
    """Visit ``url`` and add what is wrong with it to ``problems``; return None when it
    is not an HTML page, else the path it ended on. The page is photographed to
    ``shot`` (whole page, menu closed) for a human eye."""
    response = page.request.get(url)
    if not response.headers.get("content-type", "").startswith("text/html"):
        return None
    if response.status != 200:
        problems.append(f"{url}: answered {response.status}")
    page.goto(url)
    check_shown(page, url, problems, shot)
    return "/" + page.url.split("/", 3)[3]


def check_shown(page: Page, url: str, problems: list[str], shot: Path) -> None:
    """The checks of ``check_page`` on the page shown now (``url`` names it)."""
    expect(page.locator("main h1").first).to_be_visible()
    scroll, client = page.evaluate("() => [document.documentElement.scrollWidth,"
                                   " document.documentElement.clientWidth]")
    if scroll > client:
        problems.append(f"{url}: {scroll} px wide on a {client} px screen")
    if off := page.evaluate(OFF_SCREEN_JS, [WIDTH]):
        problems.append(f"{url}: off screen: {'; '.join(off)}")
    if hidden := page.evaluate(SCROLLERS_JS):
        problems.append(f"{url}: scrolls sideways with no cue: {'; '.join(hidden)}")
    if SHOTS:
        page.screenshot(path=str(shot), full_page=True)
    top = page.evaluate("() => document.querySelector('main h1').getBoundingClientRect().top")
    if top > HEIGHT / 3:
        problems.append(f"{url}: the title starts {top:.0f} px down")
    menu = page.locator(".site-menu > summary")
    if menu.is_visible():  # the menu, opened, fits too
        menu.click()
        if SHOTS:
            page.screenshot(path=str(shot.with_stem(shot.stem + "-menu")))
        if off := page.evaluate(OFF_SCREEN_JS, [WIDTH]):
            problems.append(f"{url}: menu open, off screen: {'; '.join(off)}")


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_fits_a_360px_phone(
    page: Page, live_server: LiveServer, role: str,
    record_property: Callable[[str, object], None],
) -> None:
    """Every page of ``role`` at 360 × 740: no sideways scroll, no control off screen,
    the title on the first screen, no serious accessibility violation."""
    ids = populate(live_server)
    email = ROLES[role]
    if email:
        log_in_page(page, live_server, email)
    user_role = None
    if email:
        with live_server.app_context():
            user_role = db.session.scalar(select(User.role).where(User.email == email))
            db.session.remove()
    urls = pages_of(live_server, user_role, ids)
    assert len(urls) >= 5
    visited: list[str] = []
    problems: list[str] = []
    shots = ARTIFACTS / "phone-360"
    shots.mkdir(parents=True, exist_ok=True)
    for url in urls:
        slug = re.sub(r"[^a-z0-9]+", "-", url.split("/v/")[0] + ("/v" if "/v/" in url else ""))
        ended = check_page(page, url, problems, shots / f"{role}{slug.rstrip('-')}.png")
        if ended is not None:
            visited.append(url if ended == url else f"{url} -> {ended}")
    record_property("pages", visited)
    print(f"\n{role}: {len(visited)} pages\n  " + "\n  ".join(visited))
    assert problems == [], "\n".join(problems)


def test_answers_to_forms_fit_a_360px_phone(page: Page, live_server: LiveServer) -> None:
    """The pages a form answers with (not reachable by a GET): the issuer's search
    results, the hand-out's person search, a voucher checked, the agent's voucher found."""
    ids = populate(live_server)
    shots = ARTIFACTS / "phone-360"
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    log_in_page(page, live_server, ROLES["issuer"])
    page.goto("/beneficiaires/")
    page.get_by_label("Nom", exact=True).fill(str(ids["last_name"]))
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("table.stack tbody tr")).to_have_count(1)
    check_shown(page, "recherche de bénéficiaires", problems, shots / "issuer-search.png")
    page.goto(f"/stock/remettre/{ids['handout_booklet_id']}")
    page.get_by_label("Nom", exact=True).fill(str(ids["last_name"]))
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("table.stack tbody tr")).to_have_count(1)
    check_shown(page, "remise : personne cherchée", problems, shots / "issuer-handout-search.png")
    page.goto("/verifier")
    page.get_by_label("Code du chèque").fill(str(ids["redeemed_serial"]))
    page.get_by_role("button", name="Vérifier").click()
    check_shown(page, "chèque vérifié", problems, shots / "issuer-check.png")

    page.context.clear_cookies()
    log_in_page(page, live_server, ROLES["venue_agent"])
    page.goto("/encaissements/")
    page.get_by_label("N° de série ou code du chèque").fill(str(ids["redeemed_serial"]))
    page.get_by_role("button", name="Chercher").click()
    check_shown(page, "chèque retrouvé", problems, shots / "venue_agent-find.png")
    assert problems == [], "\n".join(problems)

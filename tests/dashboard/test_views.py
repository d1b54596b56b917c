"""The dashboard page: same figures as ``programme_stats``, scope per role, charts."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from passnum.core.db import unit_of_work
from passnum.dashboard.figures import FIGURES
from passnum.dashboard.queries import programme_stats
from passnum.dashboard.stats import DashboardStats
from passnum.extensions import db
from passnum.sample.seed import SEED_DOMAIN, SEED_PASSWORD, seed
from tests.factories import login as log_in

BENEFICIARIES = 120
FIGURE = re.compile(r'data-figure="(\w+)"(?: data-cents="(\d+)")?>([^<]*)<')


@pytest.fixture
def seeded(app) -> dict[str, Any]:
    """A small generated data set: the programme id and the départements' ids."""
    with unit_of_work():
        seed(beneficiaries=BENEFICIARIES, rng_seed=11)
    deps = dict(db.session.execute(text("SELECT code, id FROM departements")).all())
    programme_id = db.session.execute(text("SELECT id FROM programmes")).scalar_one()
    return {"programme_id": programme_id, "deps": deps}


def login(client, who: str) -> None:
    """Sign in as one of the seeded accounts (``admin``, ``manager78``…)."""
    response = log_in(client, f"{who}@{SEED_DOMAIN}", SEED_PASSWORD)
    assert response.status_code == 302, response.text


def figures(page: str) -> dict[str, int]:
    """The values tagged ``data-figure`` (cents for amounts)."""
    result = {}
    for key, cents, shown in FIGURE.findall(page):
        result[key] = int(cents) if cents else int(shown.replace("\u00a0", ""))
    return result


def expected_figures(stats: DashboardStats) -> dict[str, int]:
    """The same figures taken from ``programme_stats``, by the page's keys."""
    return {f.dom_key: f.value(stats) for f in FIGURES}


def structure_names(page: str) -> set[str]:
    """Names in the first column of the per-structure table."""
    table = page.split('data-table="structures"')[1].split("</table>")[0]
    return {html.unescape(name) for name in re.findall(r'<th scope="row">([^<]+)</th>', table)}


def test_manager_sees_own_figures_whatever_they_ask(client, seeded):
    programme_id, deps = seeded["programme_id"], seeded["deps"]
    login(client, "manager78")
    own = client.get("/tableau-de-bord/")
    assert own.status_code == 200
    expected = programme_stats(programme_id, departement_id=deps["78"])
    assert figures(own.text) == expected_figures(expected)
    assert expected.booklets.issued > 0 and expected.euros.redeemed_cents > 0
    assert "Yvelines (78)" in own.text and "<select" not in own.text
    other = client.get("/tableau-de-bord/?departement=92")
    assert other.status_code == 200
    assert figures(other.text) == figures(own.text)
    assert "Yvelines (78)" in other.text and "Hauts-de-Seine (92)" not in other.text
    mine = {s.name for s in expected.structures}
    theirs = {s.name for s in programme_stats(programme_id,
                                              departement_id=deps["92"]).structures}
    assert structure_names(other.text) == mine and not mine & theirs


def test_admin_chooses_a_departement_or_all(client, seeded):
    programme_id, deps = seeded["programme_id"], seeded["deps"]
    login(client, "admin")
    everything = client.get("/tableau-de-bord/")
    assert figures(everything.text) == expected_figures(programme_stats(programme_id))
    assert "Tous les départements" in everything.text
    one = client.get("/tableau-de-bord/?departement=92&start=2025-01-01&end=2025-12-31")
    stats = programme_stats(programme_id, departement_id=deps["92"],
                            start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert figures(one.text) == expected_figures(stats)
    assert 'value="92" selected' in one.text and "du 01/01/2025" in one.text
    assert client.get("/tableau-de-bord/?departement=99").status_code == 404
    bad = client.get("/tableau-de-bord/?start=2025-13-01")
    assert bad.status_code == 400 and "Date invalide" in bad.text
    assert figures(bad.text) == figures(everything.text)


def test_charts_and_their_text_alternative(client, seeded):
    login(client, "manager92")
    page = client.get("/tableau-de-bord/").text
    months = programme_stats(seeded["programme_id"],
                             departement_id=seeded["deps"]["92"]).monthly
    assert len(months) > 3
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        ids = re.search(r'aria-labelledby="([\w-]+) ([\w-]+)"', svg).groups()
        assert 'role="img"' in svg and "viewBox=" in svg and "style=" not in svg
        assert f'<title id="{ids[0]}">' in svg and f'<desc id="{ids[1]}">' in svg
        assert svg.count("<rect ") >= len(months)
    details = re.findall(r"<details>.*?</details>", page, re.S)
    assert len(details) == 2
    for block in details:
        listed = set(re.findall(r'data-month="([\d-]+)"', block))
        assert {m.month for m in months} <= listed
    assert "Méthode : Projection au rythme moyen" in page


def test_other_roles_are_refused(client, seeded):
    assert client.get("/tableau-de-bord/").status_code == 302  # to the login page
    for who in ("issuer78", "venue78"):
        login(client, who)
        for path in ("/tableau-de-bord/", "/tableau-de-bord/export.xlsx",
                     "/tableau-de-bord/export.csv?table=summary"):
            assert client.get(path).status_code == 403, (who, path)
        client.post("/deconnexion")


def test_home_sends_managers_to_the_dashboard(client, seeded):
    login(client, "manager78")
    assert client.get("/").location == "/tableau-de-bord/"
    assert 'href="/tableau-de-bord/"' in client.get("/tableau-de-bord/").text

"""The funder's PDF report: it parses, holds the dashboard's figures, respects scope."""

from __future__ import annotations

import io

from pypdf import PdfReader

from passnum.core.formatting import euros
from passnum.dashboard.queries import programme_stats
from tests.dashboard.test_views import login
from tests.dashboard.test_views import seeded as seeded  # the fixture
from tests.pdfutil import pdf_text


def _number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _plain(text: str) -> str:
    """Text extraction may render non-breaking spaces as plain ones."""
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\n", " ")


def test_report_holds_the_figures_of_the_managers_departement(client, seeded):
    programme_id, deps = seeded["programme_id"], seeded["deps"]
    stats = programme_stats(programme_id, departement_id=deps["78"])
    login(client, "manager78")
    response = client.get("/tableau-de-bord/rapport.pdf?departement=92")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "tableau-de-bord-78" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) >= 1
    text = _plain(pdf_text(response.data))
    assert "Yvelines (78)" in text
    for figure in (stats.booklets.issued, stats.vouchers.redeemed,
                   stats.beneficiaries.reached):
        assert _number(figure) in text
    assert _plain(euros(stats.euros.redeemed_cents)) in text
    for structure in stats.structures[:5]:
        assert structure.name in text
    others = programme_stats(programme_id, departement_id=deps["92"]).structures
    assert not any(s.name in text for s in others)


def test_report_for_all_departements_and_refused_to_others(client, seeded):
    login(client, "admin")
    response = client.get("/tableau-de-bord/rapport.pdf")
    assert response.status_code == 200
    assert "Tous les départements" in pdf_text(response.data)
    client.post("/deconnexion")
    login(client, "issuer78")
    assert client.get("/tableau-de-bord/rapport.pdf").status_code == 403

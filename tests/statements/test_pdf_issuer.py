"""The statement PDF: the issuer's header on every statement, "PROJET" across a draft
only, and the IBAN in groups of four (in the PDF and on the statement's page)."""

from __future__ import annotations

from datetime import date

import pytest

from passnum.config import ConfigError
from passnum.extensions import db
from tests.api.conftest import api_client, bearer
from tests.conftest import make_app
from tests.pdfutil import page_texts
from tests.statements.helpers import at, build, generate, paris, validate
from tests.web.test_issuing_pages import login

MARCH = date(2024, 3, 1)
NOW = paris(2024, 4, 6, 10)
IBAN = "FR7630003036900005011223395"
GROUPED = "FR76 3000 3036 9000 0501 1223 395"


def _pdf(app, statement, user) -> list[str]:
    client = api_client(app)
    with at(NOW):
        response = client.get(f"/api/v1/statements/{statement.id}/pdf",
                              headers=bearer(client, user))
    assert response.status_code == 200
    return [t.replace("\u00a0", " ") for t in page_texts(response.data)]


def test_draft_carries_projet_and_every_statement_the_issuer_and_grouped_iban(app):
    app.config.update(ISSUER_NAME="Syndicat mixte Essai numérique",
                      ISSUER_ADDRESS="12 rue des Tests, 78000 Versailles")
    sw = build()
    venue = sw.places["a"].venue
    venue.iban = IBAN
    db.session.commit()
    for day in range(1, 29):  # long enough for two pages
        sw.take("a", paris(2024, 3, day, 10), *["78"] * 5)
    manager = sw.world.manager78
    statement = generate(manager, venue, sw.dep("78"), MARCH)

    draft = _pdf(app, statement, manager)
    assert len(draft) >= 2
    assert all("PROJET" in page for page in draft)  # every page of a draft
    assert "Syndicat mixte Essai numérique" in draft[0]
    assert "12 rue des Tests, 78000 Versailles" in draft[0]
    assert GROUPED in draft[0] and IBAN not in "".join(draft)

    validate(manager, statement)
    final = _pdf(app, statement, manager)
    assert not any("PROJET" in page for page in final)
    assert "Syndicat mixte Essai numérique" in final[0] and GROUPED in final[0]

    client = app.test_client()
    with at(NOW):
        login(client, manager)
        page = client.get(f"/releves/{statement.id}").get_data(as_text=True)
    assert GROUPED in page.replace("\u00a0", " ")


@pytest.mark.parametrize("setting, value", [("ISSUER_NAME", ""), ("ISSUER_NAME", "  "),
                                            ("ISSUER_ADDRESS", ""),
                                            ("ISSUER_NAME", "x" * 201),
                                            ("ISSUER_ADDRESS", "a\x00b")])
def test_an_unusable_issuer_setting_stops_the_start(tmp_path, request, setting, value):
    with pytest.raises(ConfigError, match=f"PASSNUM_{setting}"):
        make_app("sqlite", tmp_path, request, **{setting: value})

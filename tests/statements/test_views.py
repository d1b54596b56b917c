"""Statement pages and API over HTTP: scope per role, CSRF, French errors, no 500."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from passnum.extensions import db
from passnum.statements import queries
from passnum.statements.models import Statement, StatementStatus
from tests.api.conftest import api_client, bearer
from tests.conftest import IsolatedClient, make_app
from tests.factories import second_step
from tests.statements.helpers import at, build, generate, paris
from tests.web.test_issuing_pages import login

MARCH = date(2024, 3, 1)
NOW = paris(2024, 4, 6, 10)


@pytest.fixture
def setup(app):
    sw = build()
    sw.take("a", paris(2024, 3, 5, 10), "78", "92")
    sw.take("b", paris(2024, 3, 6, 10), "92")
    a78 = generate(sw.world.manager78, sw.places["a"].venue, sw.dep("78"), MARCH)
    b92 = generate(sw.world.manager92, sw.places["b"].venue, sw.dep("92"), MARCH)
    return sw, a78, b92


def client_for(app, user) -> IsolatedClient:
    client = api_client(app)
    login(client, user)
    return client


def test_each_role_sees_its_own_statements(app, setup):
    sw, a78, b92 = setup
    with at(NOW):
        agent = client_for(app, sw.places["a"].agent)
        listing = agent.get("/releves/")
        assert listing.status_code == 200 and queries.reference(a78) in listing.text
        assert queries.reference(b92) not in listing.text
        assert agent.get(f"/releves/{a78.id}").status_code == 200
        assert "Valider le relevé" not in agent.get(f"/releves/{a78.id}").text
        assert agent.get(f"/releves/{b92.id}").status_code == 404
        assert agent.get(f"/releves/{b92.id}/pdf").status_code == 404
        assert agent.post(f"/releves/{a78.id}/valider",
                          data={"validate-confirm": "y"}).status_code == 403
        assert agent.get("/releves/generer").status_code == 403
        assert agent.get("/releves/export-comptable.csv").status_code == 403

        manager92 = client_for(app, sw.world.manager92)
        page = manager92.get("/releves/")
        assert queries.reference(b92) in page.text and queries.reference(a78) not in page.text
        assert manager92.get(f"/releves/{a78.id}").status_code == 404
        assert manager92.post(f"/releves/{a78.id}/valider",
                              data={"validate-confirm": "y"}).status_code == 404
        assert "Valider le relevé" in manager92.get(f"/releves/{b92.id}").text

        issuer = client_for(app, sw.world.issuer78)
        assert issuer.get("/releves/").status_code == 403
        admin = client_for(app, sw.world.admin)
        everything = admin.get("/releves/?departement=92&status=draft&period=2024-03")
        assert queries.reference(b92) in everything.text
        assert queries.reference(a78) not in everything.text
    assert api_client(app).get("/releves/").status_code == 302  # login first


def test_the_workflow_through_the_pages(app, setup):
    sw, a78, _ = setup
    with at(NOW):
        manager = client_for(app, sw.world.manager78)
        missing = manager.post(f"/releves/{a78.id}/valider", data={})
        assert missing.status_code == 422 and "Cochez la case pour confirmer." in missing.text
        early = manager.post(f"/releves/{a78.id}/payer",
                             data={"pay-paid_on": "2024-04-06", "pay-reference": "X"})
        assert early.status_code == 409 and "Impossible de marquer payé" in early.text
        done = manager.post(f"/releves/{a78.id}/valider", data={"validate-confirm": "y"})
        assert done.status_code == 302
        again = manager.post(f"/releves/{a78.id}/actualiser", data={})
        assert again.status_code == 409 and "figé" in again.text
        future = manager.post(f"/releves/{a78.id}/payer",
                              data={"pay-paid_on": "2024-05-01", "pay-reference": "MDT-1"})
        assert future.status_code == 400 and "La date de paiement" in future.text
        bad = manager.post(f"/releves/{a78.id}/payer",
                           data={"pay-paid_on": "demain", "pay-reference": ""})
        assert bad.status_code == 422 and "Indiquez la référence du paiement." in bad.text
        adj = manager.post(f"/releves/{a78.id}/regularisations",
                           data={"adj-amount": "dix euros", "adj-reason": "oubli"})
        assert adj.status_code == 422 and "Montant invalide" in adj.text
        adj = manager.post(f"/releves/{a78.id}/regularisations",
                           data={"adj-amount": "-12,5", "adj-reason": "Compté deux fois"})
        assert adj.status_code == 302
        paid = manager.post(f"/releves/{a78.id}/payer",
                            data={"pay-paid_on": "2024-04-06", "pay-reference": "MDT-1"})
        assert paid.status_code == 302
        archived = manager.post(f"/releves/{a78.id}/archiver", data={"archive-confirm": "y"})
        assert archived.status_code == 302
        page = manager.get(f"/releves/{a78.id}")
        assert "Archivé" in page.text and "-12,50" in page.text
    db.session.expire_all()
    assert db.session.get(Statement, a78.id).status == StatementStatus.ARCHIVED


def test_generate_form_and_garbage_input(app, setup):
    sw, a78, _ = setup
    venue = sw.places["a"].venue
    with at(NOW):
        manager = client_for(app, sw.world.manager78)
        assert manager.get("/releves/generer").status_code == 200
        cases = [({"venue": venue.id, "period": "2024-13", "departement": "78"},
                  "Mois invalide"),
                 ({"venue": venue.id, "period": "2024-06", "departement": "78"},
                  "pas encore commencé"),
                 ({"venue": venue.id, "period": "2024-02", "departement": "78"},
                  "Aucun encaissement"),
                 ({"venue": venue.id, "period": "2024-03", "departement": "92"},
                  "choix valide"),
                 ({"venue": "abc", "period": "2024-03", "departement": "78"}, "")]
        for data, message in cases:
            response = manager.post("/releves/generer", data=data)
            assert response.status_code in (400, 409, 422), data
            assert message in response.text
        ok = manager.post("/releves/generer",
                          data={"venue": venue.id, "period": "2024-03", "departement": "78"})
        assert ok.status_code == 302 and ok.location.endswith(f"/releves/{a78.id}")
        for url in ("/releves/?period=mars", "/releves/?status=perdu", "/releves/99999999",
                    "/releves/0", "/releves/99999999999/pdf", "/releves/abc/csv",
                    "/releves/export-comptable.csv?period=24-3"):
            assert manager.get(url).status_code < 500, url
        assert "Mois invalide" in manager.get("/releves/?period=mars").text


def test_forms_are_csrf_protected(backend, tmp_path, request):
    app = make_app(backend, tmp_path, request, WTF_CSRF_ENABLED=True)
    with app.app_context():
        sw = build()
        sw.take("a", paris(2024, 3, 5, 10), "78")
        statement = generate(sw.world.manager78, sw.places["a"].venue, sw.dep("78"), MARCH)
        client = api_client(app)
        with at(NOW):
            page = client.get("/connexion")
            token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
            second_step(client, sw.world.manager78.id, client.post(
                "/connexion", data={"email": sw.world.manager78.email,
                                    "password": "correct-horse-battery", "csrf_token": token}))
            detail = client.get(f"/releves/{statement.id}")
            assert 'name="validate-csrf_token"' in detail.text
            for action in ("valider", "actualiser", "payer", "archiver", "regularisations"):
                response = client.post(f"/releves/{statement.id}/{action}",
                                       data={"validate-confirm": "y"})
                assert response.status_code in (302, 400, 422), action
            response = client.post("/releves/generer", data={"period": "2024-03"})
            assert response.status_code == 302 and response.location.endswith("reprise=1")
        db.session.expire_all()
        assert db.session.get(Statement, statement.id).status == StatementStatus.DRAFT
        db.session.remove()
        db.engine.dispose()


def test_api_generates_reads_and_refuses(app, setup):
    sw, a78, b92 = setup
    venue = sw.places["a"].venue
    client = api_client(app)
    with at(NOW):
        m78, m92 = bearer(client, sw.world.manager78), bearer(client, sw.world.manager92)
        admin, agent = bearer(client, sw.world.admin), bearer(client, sw.places["a"].agent)
        updated = client.post("/api/v1/statements", headers=m78,
                              json={"venue_id": venue.id, "period": "2024-03"})
        assert updated.status_code == 200 and updated.json["id"] == a78.id
        sw.take("a", paris(2024, 4, 2, 10), "78")
        created = client.post("/api/v1/statements", headers=admin,
                              json={"venue_id": venue.id, "period": "2024-04",
                                    "departement": "78"})
        assert created.status_code == 201 and created.json["voucher_count"] == 1
        assert created.json["reference"] == f"RL-78-2024-04-{created.json['id']:06d}"
        refusals = [
            (m78, {"venue_id": venue.id, "period": "2024-13"}, 400, "invalid_period"),
            (m78, {"venue_id": venue.id, "period": "2024-3"}, 400, "invalid_format"),
            (m78, {"venue_id": 999999, "period": "2024-03"}, 404, "not_found"),
            (m78, {"venue_id": venue.id, "period": "2024-03", "departement": "92"}, 403,
             "forbidden"),
            (admin, {"venue_id": venue.id, "period": "2024-03"}, 400, "missing_field"),
            (admin, {"venue_id": venue.id, "period": "2024-03", "departement": "99"}, 400,
             "unknown_departement"),
            (agent, {"venue_id": venue.id, "period": "2024-03"}, 403, "forbidden"),
            (m78, {"venue_id": venue.id, "period": "2024-09"}, 422, "period_not_started"),
            (m78, {"venue_id": venue.id, "period": "2023-09"}, 422, "nothing_to_state"),
        ]
        for headers, body, status, code in refusals:
            response = client.post("/api/v1/statements", headers=headers, json=body)
            assert (response.status_code, response.json["error"]["code"]) == (status, code)
        assert client.get(f"/api/v1/statements/{a78.id}", headers=m92).status_code == 404
        assert client.get(f"/api/v1/statements/{a78.id}", headers=agent).status_code == 200
        assert client.get(f"/api/v1/statements/{b92.id}/pdf", headers=agent).status_code == 404
        assert client.get("/api/v1/statements/99999/pdf", headers=admin).status_code == 404

        manager = client_for(app, sw.world.manager78)
        manager.post(f"/releves/{a78.id}/valider", data={"validate-confirm": "y"})
        frozen = client.post("/api/v1/statements", headers=m78,
                             json={"venue_id": venue.id, "period": "2024-03"})
        assert frozen.status_code == 409 and frozen.json["error"]["code"] == "statement_frozen"
        replay = {**m78, "Idempotency-Key": "k-1"}
        first = client.post("/api/v1/statements", headers=replay,
                            json={"venue_id": venue.id, "period": "2024-04"})
        second = client.post("/api/v1/statements", headers=replay,
                             json={"venue_id": venue.id, "period": "2024-04"})
        assert first.json == second.json
        assert second.headers.get("Idempotent-Replayed") == "true"


def test_cli_generates_the_month(app):
    sw = build()
    sw.take("a", paris(2024, 3, 5, 10), "78", "92", "92")
    sw.take("b", paris(2024, 3, 9, 10), "92")
    runner = app.test_cli_runner()
    with at(NOW):
        result = runner.invoke(args=["statements", "generate", "--period", "2024-03"])
        assert result.exit_code == 0, result.output
        assert "3 relevés en brouillon, 4 chèques" in result.output
        assert sw.places["a"].venue.name in result.output
        again = runner.invoke(args=["statements", "generate", "--period", "2024-03"])
        assert again.exit_code == 0 and "mis à jour" in again.output
        bad = runner.invoke(args=["statements", "generate", "--period", "mars"])
        assert bad.exit_code != 0 and "Période invalide" in bad.output
        empty = runner.invoke(args=["statements", "generate", "--period", "2023-01"])
        assert empty.exit_code == 0 and "Aucun encaissement" in empty.output
    db.session.expire_all()
    assert sum(s.voucher_count for s in db.session.scalars(select(Statement))) == 4

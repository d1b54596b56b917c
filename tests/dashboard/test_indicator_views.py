"""The *Indicateurs* page, ``GET /api/v1/indicators`` (checked against the OpenAPI
document), their CSV/XLSX exports read back and the barometer's export, per role."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from openpyxl import load_workbook

from passnum.beneficiaries.models import Beneficiary
from passnum.core.db import unit_of_work
from passnum.dashboard.indicators import programme_indicators
from passnum.dashboard.indicators_api import indicators_answer
from passnum.extensions import db
from tests.api.conftest import API, api_client, bearer
from tests.conftest import IsolatedClient
from tests.factories import World, issue, login, make_priority_publics


def _api(app: Any, user: Any, query: str = "") -> Any:
    client = api_client(app)
    return client.get(f"{API}/indicators{query}", headers=bearer(client, user))


def _page_client(app: Any, user: Any) -> Any:
    app.test_client_class = IsolatedClient
    client = app.test_client()
    login(client, user)
    return client


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_api_gives_the_indicators_of_the_scope(app, scene):
    world = scene["world"]
    programme = world.programme
    answer = _api(app, world.admin)
    assert answer.status_code == 200, answer.json
    expected = programme_indicators(programme.id, start=programme.starts_on,
                                    end=programme.ends_on)
    assert answer.json == indicators_answer(expected).model_dump(mode="json")
    body = answer.json
    assert body["departement"] is None and body["reached"] == 5
    assert body["period"] == {"start": programme.starts_on.isoformat(),
                              "end": programme.ends_on.isoformat()}
    gender = next(c for c in body["categories"] if c["key"] == "gender")
    assert [(n["code"], n["people"]) for n in gender["counts"]] == [
        ("female", 1), ("male", 0), ("", 4)]
    assert body["priority"] == {"people": 1, "share": 0.2, "target_percent": 30}
    assert body["funnel"]["first_used"] == 3

    mine = _api(app, world.manager78).json
    assert mine["departement"] == "78" and mine["reached"] == 4
    assert _api(app, world.manager78, "?departement=92").status_code == 403
    for bad in ("?start=2025-02-30", "?end=01/02/2025", "?start=2026-02-01&end=2026-01-01"):
        assert _api(app, world.admin, bad).status_code == 400, bad
    assert _api(app, world.admin, "?departement=99").status_code == 404


def test_the_page_shows_the_same_numbers_per_role(app, scene):
    world = scene["world"]
    client = _page_client(app, world.manager78)
    page = client.get("/indicateurs/")
    assert page.status_code == 200
    text = page.text
    assert re.search(r'data-indicator="reached">4<', text)
    assert "Versailles (78646)" in text and "Bénéficiaire des minima sociaux" in text
    funnel = text.split('data-table="funnel-structures"')[1].split("</table>")[0]
    assert f'data-structure="{world.s78.id}"' in funnel
    assert f'data-structure="{world.s92.id}"' not in funnel
    # a manager asking for another département still sees their own
    assert 'data-indicator="reached">4<' in client.get("/indicateurs/?departement=92").text
    bad = client.get("/indicateurs/?start=2025-13-01")
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    for user in (world.issuer78, world.agent78):
        assert _page_client(app, user).get("/indicateurs/").status_code == 403


def test_the_exports_read_back(app, scene):
    world = scene["world"]
    client = _page_client(app, world.admin)
    people = client.get("/indicateurs/export.csv?table=categories&departement=78")
    assert people.status_code == 200
    assert "indicateurs-categories-78" in people.headers["Content-Disposition"]
    rows = _csv(people.data)
    assert rows[0] == ["Catégorie", "Code", "Valeur", "Personnes", "Part (%)"]
    assert ["Genre", "female", "féminin", "1", "25,0"] in rows
    assert ["Commune", "78646", "Versailles (78646)", "1", "25,0"] in rows

    funnel = _csv(client.get("/indicateurs/export.csv?table=structures").data)
    assert funnel[1][:8] == ["Total", "", "5", "4", "3", "1", "0", "5.0"]
    assert client.get("/indicateurs/export.csv?table=nope").status_code == 404
    assert client.get("/indicateurs/export.csv?table=venues&end=2025-02-30").status_code \
        == 400

    book = load_workbook(io.BytesIO(client.get("/indicateurs/export.xlsx").data))
    assert book.sheetnames == ["Par catégorie", "Publics prioritaires",
                               "Parcours par structure", "Parcours par lieu"]
    venues = list(book["Parcours par lieu"].iter_rows(values_only=True))
    assert venues[0][0] == "Lieu du premier chèque"
    assert {(row[0], row[2]) for row in venues[1:]} == {
        (world.venue78.name, 2), (scene["venue92"].name, 1)}


def test_the_barometer_export_counts_accompaniments_per_departement(app, scene):
    world = scene["world"]
    client = _page_client(app, world.admin)
    answer = client.get("/indicateurs/barometre.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = _csv(answer.data)
    assert rows[0] == ["Code", "Département", "Accompagnements", "Chèques utilisés",
                       "Montant encaissé"]
    # four redemptions: two at the 78 venue (3 chèques), two at the 92 venue (11)
    assert rows[1:] == [["78", "Yvelines", "2", "3", "30,00"],
                        ["92", "Hauts-de-Seine", "2", "11", "110,00"]]
    # a manager: the redemptions their département pays, wherever they took place
    mine = _csv(_page_client(app, world.manager92).get("/indicateurs/barometre.csv").data)
    assert mine[1:] == [["78", "Yvelines", "1", "2", "20,00"],
                        ["92", "Hauts-de-Seine", "1", "1", "10,00"]]


def test_people_recorded_through_the_form_and_the_api_appear_in_each_category(app):

    world = World()
    make_priority_publics(world.programme)
    every = {"last_name": "Moreau", "first_name": "Hélène", "birth_date": "1947-11-30",
             "postal_code": "78120", "commune_insee": "78517", "gender": "female",
             "social_status": "retired", "priority_area": "yes",
             "email": "helene@example.org"}
    client = _page_client(app, world.issuer78)
    form = client.post("/beneficiaires/nouveau", data={
        **every, "priority_publics": ["minimum_income"], "messages_consent": "y",
        "consent": "y"})
    assert form.status_code == 302, form.text
    api = api_client(app)
    created = api.post(f"{API}/beneficiaries", json={
        **every, "first_name": "Paul", "last_name": "Durand", "birth_date": "2004-05-06",
        "postal_code": "92230", "commune_insee": "92036", "gender": "male",
        "social_status": "unemployed", "priority_area": "no",
        "priority_publics": ["low_skilled_jobseeker", "young_unqualified"],
        "messages_consent": True, "consent": True},
        headers={**bearer(api, world.issuer92), "Idempotency-Key": "person-92"})
    assert created.status_code == 201, created.json
    for person in db.session.scalars(db.select(Beneficiary)).all():
        issue(world.issuer78 if person.structure_id == world.s78.id else world.issuer92,
              person)
    with unit_of_work():
        found = programme_indicators(world.programme.id)
    counts = {c.key: {n.code: n.people for n in c.counts if n.people}
              for c in found.categories}
    assert found.reached == 2
    assert counts["age_band"] == {"70_plus": 1, "18_24": 1}
    assert counts["gender"] == {"female": 1, "male": 1}
    assert counts["social_status"] == {"retired": 1, "unemployed": 1}
    assert counts["priority_area"] == {"yes": 1, "no": 1}
    assert counts["commune"] == {"78517": 1, "92036": 1}
    assert counts["departement"] == {"78": 1, "92": 1}
    assert counts["priority_public"] == {"minimum_income": 1, "low_skilled_jobseeker": 1,
                                         "young_unqualified": 1}
    assert (found.priority_people, found.priority_share) == (2, 1.0)
    answer = _api(app, world.admin).json
    gender = next(c for c in answer["categories"] if c["key"] == "gender")
    assert {n["code"]: n["people"] for n in gender["counts"]} == {"female": 1, "male": 1,
                                                                  "": 0}

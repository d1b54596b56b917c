"""``/lieux.csv`` and ``/lieux.json``: the active venues in the national standard of
the lieux de médiation numérique (v1.0.2), valid for its Table Schema, on both
databases, whatever the venues' texts hold."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from frictionless import Schema
from frictionless.resources import TableResource
from werkzeug.test import TestResponse

from passnum.auth.models import Role
from passnum.core.db import unit_of_work
from passnum.opendata.lieux import LABEL_SENTENCE, PIVOT_UNKNOWN, standard_phone
from passnum.opendata.schema_files import LIEUX_SCHEMA, load
from passnum.venues.labels import change_label
from passnum.venues.vocabulary import LIEUX_COLUMNS, PROFILE_LISTS, TYPOLOGIES
from tests.factories import make_user
from tests.opendata.helpers import FULL_DESCRIPTION, PUBLISHED

LIST_COLUMNS = {column: words for column, words in PROFILE_LISTS.values()}


def _errors(path: Path) -> list[str]:
    """frictionless's errors for the file at ``path`` against the shipped schema."""
    schema = Schema.from_descriptor(load(LIEUX_SCHEMA))
    resource = TableResource(path=path.name, basepath=str(path.parent), schema=schema)
    report = resource.validate()
    assert report.tasks[0].stats["rows"] == len(PUBLISHED)
    return [error.message for task in report.tasks for error in task.errors] + [
        error.message for error in report.errors]


def _csv_rows(response: TestResponse) -> list[dict[str, str]]:
    """The CSV read back with Python's csv module."""
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


def test_csv_validates_against_the_standard_table_schema(client, venues, tmp_path):
    response = client.get("/lieux.csv")
    path = tmp_path / "lieux.csv"
    path.write_bytes(response.data)
    assert response.status_code == 200
    assert _errors(path) == []
    assert [row["id"] for row in _csv_rows(response)] == list(PUBLISHED)


def test_json_validates_against_the_same_table_schema(client, venues, tmp_path):
    response = client.get("/lieux.json")
    path = tmp_path / "lieux.json"
    path.write_bytes(response.data)
    assert response.status_code == 200
    assert _errors(path) == []
    assert [row["id"] for row in response.get_json()] == list(PUBLISHED)


def test_the_validation_finds_a_value_out_of_the_standard(client, venues, tmp_path):
    path = tmp_path / "lieux.csv"
    path.write_bytes(client.get("/lieux.csv").data.replace(b"+33139123456", b"0139123456"))
    assert len(_errors(path)) == 1


def test_csv_is_the_standard_file_utf8_comma_separated_in_its_column_order(client, venues):
    response = client.get("/lieux.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="2025-03-12_passnum_lieux-de-mediation-numerique.csv"')
    assert response.headers["Cache-Control"] == "public, max-age=900"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    text = response.data.decode("utf-8")
    assert not text.startswith("\ufeff")
    assert text.splitlines()[0] == ",".join(LIEUX_COLUMNS)


def test_an_unchanged_file_answers_304_to_a_conditional_request(client, venues):
    first = client.get("/lieux.json")
    again = client.get("/lieux.json", headers={"If-None-Match": first.headers["ETag"]})
    assert first.headers["ETag"] and again.status_code == 304


def test_a_complete_venue_is_written_in_the_standard_values(client, venues):
    row = client.get("/lieux.json").get_json()[0]
    assert row["id"] == "espace-le-lien-poissy"
    assert row["pivot"] == "12345678200015"
    assert row["nom"] == "Espace \"Le Lien\", médiation numérique – Poissy"
    assert (row["latitude"], row["longitude"]) == (48.9301, 2.0452)
    assert row["telephone"] == "+33139123456"
    assert row["typologie"] == "ASSO|EPN"
    assert row["services"] == ("Aide aux démarches administratives|Maîtrise des outils "
                               "numériques du quotidien|Acquisition de matériel informatique "
                               "à prix solidaire")
    assert row["publics_specifiquement_adresses"] == "Jeunes|Seniors"
    assert row["modalites_accompagnement"] == ("Accompagnement individuel|"
                                               "Dans un atelier collectif|À distance")
    assert row["frais_a_charge"] == "Gratuit sous condition"
    assert (row["source"], row["itinerance"]) == ("passnum", "Fixe")
    # 23:30 UTC on 28 February is already 1 March in Paris
    assert row["date_maj"] == "2025-03-01"
    assert row["presentation_detail"] == f"{FULL_DESCRIPTION}\n\n{LABEL_SENTENCE}"
    assert "pass numérique" in LABEL_SENTENCE
    assert row["horaires"] == "Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00"
    assert row["prise_rdv"] == "https://rdv.example.fr/le-lien?atelier=1"
    assert row["presentation_resume"] == "+ de 20 ateliers par mois | accès libre"


def test_missing_values_are_left_out_and_the_commune_gives_the_position(client, venues):
    rows = {row["id"]: row for row in client.get("/lieux.json").get_json()}
    bare, nowhere = rows["mediatheque-jules-verne"], rows["lieu-sans-commune-connue"]
    assert bare["pivot"] == PIVOT_UNKNOWN
    assert (bare["latitude"], bare["longitude"]) == (48.89198, 2.20675)  # Nanterre
    assert bare["date_maj"] == "2024-09-04"  # the label's decision, Paris day
    assert list(bare) == list(LIEUX_COLUMNS)  # every key, null when the venue has no value
    assert {key for key, value in bare.items() if value is not None} == {
        "id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse", "latitude",
        "longitude", "presentation_detail", "source", "itinerance", "date_maj",
        "frais_a_charge", "services"}
    assert bare["services"] == "Maîtrise des outils numériques du quotidien"
    assert nowhere["latitude"] is None and nowhere["code_insee"] is None
    assert nowhere["date_maj"] == "2024-04-01"  # the venue's creation
    assert nowhere["telephone"] == "+590590123456"


def test_suspended_pending_and_incomplete_venues_are_not_published(client, venues):
    ids = {row["id"] for row in client.get("/lieux.json").get_json()}
    assert not ids & {"lieu-suspendu", "lieu-en-attente", "lieu-sans-adresse"}


def test_csv_reads_back_with_lists_split_on_pipes_and_texts_intact(client, venues):
    rows = {row["id"]: row for row in _csv_rows(client.get("/lieux.csv"))}
    full = rows["espace-le-lien-poissy"]
    for column, words in LIST_COLUMNS.items():
        allowed = set(TYPOLOGIES) if words is TYPOLOGIES else set(words.values())
        for row in rows.values():
            values = row[column].split("|") if row[column] else []
            assert set(values) <= allowed, (column, values)
    assert full["complement_adresse"] == "Bâtiment B; 2e étage, porte « C »"
    assert full["presentation_detail"].startswith(FULL_DESCRIPTION)
    assert full["latitude"] == "48.9301" and rows["lieu-sans-commune-connue"]["latitude"] == ""


def test_csv_cells_never_start_a_spreadsheet_formula(client, venues):
    full = _csv_rows(client.get("/lieux.csv"))[0]
    json_full = client.get("/lieux.json").get_json()[0]
    assert full["presentation_resume"] == "'+ de 20 ateliers par mois | accès libre"
    assert full["autres_formations_labels"].startswith("'=HYPERLINK")
    assert full["telephone"] == "+33139123456"  # the standard's own form stays valid
    # JSON is read by programs, not spreadsheets: the text as typed
    assert json_full["autres_formations_labels"].startswith("=HYPERLINK")


def test_standard_phone_is_the_international_form_or_nothing():
    assert standard_phone("01 39 12 34 56") == "+33139123456"
    assert standard_phone("06.12.34.56.78") == "+33612345678"
    assert standard_phone("0262 12 34 56") == "+262262123456"
    assert standard_phone("") is None and standard_phone("12 34") is None


def test_no_venue_gives_a_header_only_csv_and_an_empty_array(client, fixed_day):
    assert client.get("/lieux.csv").data.decode().splitlines() == [",".join(LIEUX_COLUMNS)]
    assert json.loads(client.get("/lieux.json").data) == []


def test_a_label_decision_shows_in_the_next_download(client, venues):
    manager = make_user(Role.MANAGER, departement_id=venues["full"].departement_id)
    before = client.get("/lieux.json")
    with unit_of_work():
        change_label(manager, venues["full"], "suspend", "Locaux fermés pour travaux")
    after = client.get("/lieux.json", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert "espace-le-lien-poissy" not in {row["id"] for row in after.get_json()}

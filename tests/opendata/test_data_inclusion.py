"""``/lieux/data-inclusion/structures.json`` and ``…/services.json``: one data·inclusion
v1 structure and one service (the pass numérique's workshops) per active venue, valid
for the shipped JSON Schemas and for data·inclusion's own models."""

from __future__ import annotations

import jsonschema
from data_inclusion.schema.v1 import Service, Structure

from passnum.opendata.data_inclusion import FUNDAMENTALS, SERVICE_NAME
from passnum.opendata.schema_files import SERVICE_SCHEMA, STRUCTURE_SCHEMA, load
from tests.opendata.helpers import PUBLISHED


def _validate(items: list[dict], schema: dict, model: type) -> None:
    """Each item valid for the JSON Schema and for the pydantic model (warnings
    raised as errors)."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for item in items:
        assert [error.message for error in validator.iter_errors(item)] == []
        model.model_validate(item, context={"ignore_warnings": False})


def test_structures_validate_against_the_schema_and_the_models(client, venues):
    response = client.get("/lieux/data-inclusion/structures.json")
    structures = response.get_json()
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=900"
    _validate(structures, load(STRUCTURE_SCHEMA), Structure)
    assert [s["id"] for s in structures] == [f"passnum--{slug}" for slug in PUBLISHED]


def test_services_validate_against_the_schema_and_the_models(client, venues):
    services = client.get("/lieux/data-inclusion/services.json").get_json()
    _validate(services, load(SERVICE_SCHEMA), Service)
    assert [s["structure_id"] for s in services] == [f"passnum--{slug}" for slug in PUBLISHED]
    assert {s["nom"] for s in services} == {SERVICE_NAME}


def test_a_complete_venue_gives_its_structure_and_workshops(client, venues):
    structure = client.get("/lieux/data-inclusion/structures.json").get_json()[0]
    service = client.get("/lieux/data-inclusion/services.json").get_json()[0]
    assert structure["siret"] == "12345678200015"
    assert structure["telephone"] == service["telephone"] == "+33139123456"
    assert structure["date_maj"] == service["date_maj"] == "2025-03-01"
    assert structure["reseaux_porteurs"] == ["aidants-connect", "conseillers-numeriques",
                                             "espaces-publics-numeriques",
                                             "fabrique-de-territoire"]
    assert structure["horaires_accueil"] == "Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00"
    # v1 knows "gratuit" and "payant" only: the chèques make it free for the person
    assert service["frais"] == "gratuit"
    assert "pass numérique" in service["frais_precisions"]
    assert service["type"] == "atelier"
    assert service["thematiques"] == ["numerique--acceder-a-des-services-en-ligne",
                                      "numerique--acquerir-un-equipement", FUNDAMENTALS]
    assert service["publics"] == ["jeunes", "seniors"]
    assert service["modes_accueil"] == ["a-distance", "en-presentiel"]
    assert service["lien_mobilisation"] == "https://rdv.example.fr/le-lien?atelier=1"
    assert service["modes_mobilisation"] == ["se-presenter", "telephoner",
                                             "utiliser-lien-mobilisation"]
    assert service["zone_eligibilite"] == ["78", "92"]
    assert (service["latitude"], service["longitude"]) == (48.9301, 2.0452)


def test_a_bare_venue_is_open_to_everyone_and_leaves_unknown_values_out(client, venues):
    structures = client.get("/lieux/data-inclusion/structures.json").get_json()
    services = client.get("/lieux/data-inclusion/services.json").get_json()
    bare = next(s for s in structures if s["id"] == "passnum--mediatheque-jules-verne")
    bare_service = next(s for s in services
                        if s["structure_id"] == "passnum--mediatheque-jules-verne")
    assert "siret" not in bare and "telephone" not in bare and "description" not in bare
    assert bare["latitude"] == 48.89198  # the commune's centroid
    assert bare_service["publics"] == ["tous-publics"]
    assert bare_service["thematiques"] == [FUNDAMENTALS]
    assert "lien_mobilisation" not in bare_service and "modes_mobilisation" not in bare_service
    assert bare_service["modes_accueil"] == ["en-presentiel"]

"""The schemas shipped in ``passnum/opendata/schemas/``: the standard's Table Schema as
published (v1.0.2), and data·inclusion's JSON Schemas as the installed package
generates them, so that an update of the package shows its changes here."""

from __future__ import annotations

import hashlib

from passnum.opendata.schema_files import LIEUX_SCHEMA, data_inclusion_schemas, load
from passnum.venues.vocabulary import LIEUX_COLUMNS

# SHA-256 of the published schema.json of the standard's v1.0.2 (Licence Ouverte 2.0)
PUBLISHED_SHA256 = "c268f27e019a37b73c0fda92768c862b2dd53c83dd047beabb43fe9254105cef"


def test_the_standard_table_schema_is_the_published_v1_0_2_unchanged():
    assert hashlib.sha256(LIEUX_SCHEMA.read_bytes()).hexdigest() == PUBLISHED_SHA256
    schema = load(LIEUX_SCHEMA)
    assert schema["version"] == "v1.0.2"
    assert schema["licenses"][0]["name"] == "etalab-2.0"
    assert tuple(field["name"] for field in schema["fields"]) == LIEUX_COLUMNS


def test_data_inclusion_schemas_are_what_the_installed_package_generates():
    for path, generated in data_inclusion_schemas().items():
        assert path.read_text(encoding="utf-8") == generated, (
            f"{path.name} differs from data-inclusion-schema's models: review the change, "
            "then run `python -m passnum.opendata.schema_files`")


def test_data_inclusion_v1_knows_no_pass_numerique_fee():
    service = load(next(path for path in data_inclusion_schemas()
                        if path.name.endswith("service.json")))
    assert service["$defs"]["Frais"]["enum"] == ["gratuit", "payant"]

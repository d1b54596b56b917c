"""The demo's venues publish files the standard and the national map accept."""

from __future__ import annotations

import json

import pytest
from data_inclusion.schema.v1 import Service, Structure
from frictionless import Schema
from frictionless.resources import TableResource

from passnum.opendata.schema_files import LIEUX_SCHEMA, SERVICE_SCHEMA, STRUCTURE_SCHEMA, load
from passnum.sample.demo import load_demo
from tests.opendata.test_data_inclusion import _validate
from tests.opendata.test_read_back import _models


@pytest.fixture
def demo(app, fixed_day):
    """The demo data set, loaded on the fixed day."""
    load_demo()


def test_the_demo_venues_are_valid_for_the_standard_and_the_map(client, demo, tmp_path):
    rows = client.get("/lieux.json").get_json()
    (tmp_path / "lieux.json").write_text(json.dumps(rows), encoding="utf-8")
    (tmp_path / "lieux.csv").write_bytes(client.get("/lieux.csv").data)
    schema = Schema.from_descriptor(load(LIEUX_SCHEMA))
    for name in ("lieux.json", "lieux.csv"):
        report = TableResource(path=name, basepath=str(tmp_path), schema=schema).validate()
        assert [error.message for task in report.tasks for error in task.errors] == []
    assert rows and sorted(_models(rows)) == sorted(row["id"] for row in rows)


def test_the_demo_venues_are_valid_for_data_inclusion(client, demo):
    structures = client.get("/lieux/data-inclusion/structures.json").get_json()
    services = client.get("/lieux/data-inclusion/services.json").get_json()
    _validate(structures, load(STRUCTURE_SCHEMA), Structure)
    _validate(services, load(SERVICE_SCHEMA), Service)
    assert len(structures) == len(services) > 0

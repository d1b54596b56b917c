"""The schemas the open data follows, shipped in ``passnum/opendata/schemas/``.

The Table Schema of the lieux de médiation numérique is the published file, unchanged.
data·inclusion's JSON Schemas are generated from its maintained package
(``data-inclusion-schema``, a development dependency): ``python -m
passnum.opendata.schema_files`` writes them again after an update of the package, and
``tests/opendata/test_schemas.py`` fails while the files differ from what the installed
package generates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent / "schemas"
LIEUX_SCHEMA = SCHEMAS / "lieux-de-mediation-numerique-1.0.2.json"
STRUCTURE_SCHEMA = SCHEMAS / "data-inclusion-v1-structure.json"
SERVICE_SCHEMA = SCHEMAS / "data-inclusion-v1-service.json"


def load(path: Path) -> dict[str, Any]:
    """A shipped schema, parsed."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def data_inclusion_schemas() -> dict[Path, str]:
    """The text each data·inclusion schema file should hold: the installed package's
    v1 models' JSON Schemas (needs the development dependencies)."""
    from data_inclusion.schema.v1 import Service, Structure

    return {path: json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2) + "\n"
            for path, model in ((STRUCTURE_SCHEMA, Structure), (SERVICE_SCHEMA, Service))}


def write_data_inclusion_schemas() -> None:
    """Write the data·inclusion schema files from the installed package."""
    for path, text in data_inclusion_schemas().items():
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_data_inclusion_schemas()

"""Reading a file of venues in the national standard (schéma « Lieux de médiation
numérique »): CSV or JSON, into rows of the standard's columns.

CSV: UTF-8 with or without a byte-order mark, comma or semicolon between cells (read
from the header line), the standard's column names on the first line (case and spaces
aside); unknown columns are ignored, a missing required column refuses the whole file.
JSON: an array of objects with the same keys. Nothing here touches the database: a
file that cannot be read is refused with ``InvalidInput`` (field ``file``) and a French
message, before any row is checked.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from passnum.core.formatting import number
from passnum.errors import InvalidInput
from passnum.venues.vocabulary import LIEUX_COLUMNS, MULTIPLE_SEPARATOR

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
REQUIRED_COLUMNS = ("nom", "adresse", "code_postal", "commune")
# the standard's 0.x versions joined several values with ";"
LEGACY_SEPARATOR = ";"
KNOWN_COLUMNS = frozenset(LIEUX_COLUMNS)


@dataclass(frozen=True)
class ImportRow:
    """One venue of the file: its line (CSV: its row as a spreadsheet numbers it, the
    header being row 1, whatever line breaks its cells hold; JSON: its rank in the
    array) and its cells by standard column name."""

    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        """The cell of ``column`` with surrounding spaces removed ("" when absent)."""
        return (self.values.get(column) or "").strip()


def split_list(cell: str) -> list[str]:
    """The values of a multi-valued cell: joined by ``|`` (v1) or ``;`` (0.x)."""
    parts = cell.replace(LEGACY_SEPARATOR, MULTIPLE_SEPARATOR).split(MULTIPLE_SEPARATOR)
    return [part.strip() for part in parts if part.strip()]


def _refuse(message: str, code: str) -> InvalidInput:
    """A refusal of the whole file, shown on the file field."""
    return InvalidInput(message, code=code, field="file")


def read_rows(data: bytes, filename: str) -> list[ImportRow]:
    """The venues of a CSV or JSON file of the national standard.

    The kind is the file name's extension (``.json``, else CSV), or the content's for
    another name. Raises ``InvalidInput`` (field ``file``): ``import_file_empty``,
    ``import_file_too_large`` (over ``MAX_BYTES``), ``import_file_binary``,
    ``import_file_encoding`` (not UTF-8), ``import_file_malformed``,
    ``import_columns_missing``, ``import_file_no_rows``, ``import_too_many_rows``
    (over ``MAX_ROWS``).
    """
    if not data.strip():
        raise _refuse("Le fichier est vide : choisissez le fichier des lieux.",
                      "import_file_empty")
    if len(data) > MAX_BYTES:
        raise _refuse(f"Le fichier dépasse {MAX_BYTES // (1024 * 1024)} Mo : découpez-le "
                      "en plusieurs fichiers.", "import_file_too_large")
    text = _decode(data)
    name = (filename or "").lower()
    as_json = name.endswith(".json") or (
        not name.endswith((".csv", ".txt")) and text.lstrip()[:1] in ("[", "{"))
    rows = _json_rows(text) if as_json else _csv_rows(text)
    if not rows:
        raise _refuse("Le fichier ne contient aucun lieu : seulement l'en-tête.",
                      "import_file_no_rows")
    return rows


def _decode(data: bytes) -> str:
    """The file's text; refuses binary files and encodings other than UTF-8."""
    if b"\x00" in data:
        raise _refuse("Ce fichier n'est pas un fichier texte : enregistrez les lieux au "
                      "format CSV ou JSON.", "import_file_binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _refuse("Le fichier n'est pas encodé en UTF-8 (ses accents seraient mal lus) : "
                      "dans votre tableur, enregistrez-le au format « CSV UTF-8 ».",
                      "import_file_encoding") from err
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text[:4096]):
        raise _refuse("Ce fichier n'est pas un fichier texte : enregistrez les lieux au "
                      "format CSV ou JSON.", "import_file_binary")
    return text


def _missing_columns(columns: set[str]) -> None:
    """Refuse a file that lacks one of ``REQUIRED_COLUMNS``."""
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        names = ", ".join(f"« {name} »" for name in missing)
        raise _refuse(f"Colonne{'s' if len(missing) > 1 else ''} obligatoire"
                      f"{'s' if len(missing) > 1 else ''} absente{'s' if len(missing) > 1 else ''}"
                      f" : {names}. Le fichier doit suivre le schéma des lieux de médiation "
                      "numérique, avec les noms de colonnes sur la première ligne.",
                      "import_columns_missing")


def _too_many() -> InvalidInput:
    """The refusal of a file of more than ``MAX_ROWS`` venues."""
    return _refuse(f"Le fichier compte plus de {number(MAX_ROWS)} lieux : découpez-le en "
                   "plusieurs fichiers.", "import_too_many_rows")


def _csv_rows(text: str) -> list[ImportRow]:
    """The rows of a CSV text, the delimiter being the header line's (``;`` or ``,``)."""
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[ImportRow] = []
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        _missing_columns(set(header))
        for line, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) == MAX_ROWS:
                raise _too_many()
            rows.append(ImportRow(line, {name: cell for name, cell in zip(header, record,
                                                                          strict=False)
                                         if name in KNOWN_COLUMNS}))
    except csv.Error as err:
        raise _refuse(f"Le fichier CSV est mal formé près de la ligne {reader.line_num} "
                      "(guillemets non refermés ?).", "import_file_malformed") from err
    return rows


def _cell(value: Any) -> str:
    """A JSON value as a cell: lists joined by ``|``, numbers written out."""
    if value is None:
        return ""
    if isinstance(value, list):
        return MULTIPLE_SEPARATOR.join(_cell(item) for item in value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _json_rows(text: str) -> list[ImportRow]:
    """The rows of a JSON array of objects."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as err:
        raise _refuse(f"Le fichier JSON est mal formé (ligne {err.lineno}) : vérifiez qu'il "
                      "s'agit bien d'un export au format JSON.", "import_file_malformed") from err
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _refuse("Le fichier JSON doit être une liste d'objets, un par lieu, avec les "
                      "clés du schéma des lieux de médiation numérique.",
                      "import_file_malformed")
    if len(items) > MAX_ROWS:
        raise _too_many()
    if items:
        _missing_columns({str(key).strip().lower() for item in items for key in item})
    return [ImportRow(rank, {name: _cell(value) for key, value in item.items()
                             if (name := str(key).strip().lower()) in KNOWN_COLUMNS})
            for rank, item in enumerate(items, start=1)]

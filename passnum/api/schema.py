"""Strict parsing of JSON request bodies and ISO formatting of dates for the API.

Parsing only checks shape and types; the meaning of each value (a valid postal code,
an existing beneficiary, an allowed reason) is the services' business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import request

from passnum.errors import InvalidInput

# Database ids are 32-bit integers on PostgreSQL: larger numbers cannot name a row.
ID_MAX = 2**31 - 1

_KIND_LABELS = {str: "une chaîne de caractères", int: "un nombre entier", bool: "un booléen",
                list: "une liste"}


@dataclass(frozen=True)
class Field:
    """Expected type of one body field; bounds apply to lengths or integer values.

    ``pattern`` must match the whole string. A ``list`` field holds 1 to ``max_length``
    items, each checked against ``items``. The OpenAPI request schemas are built from
    these fields, so what is documented is exactly what is enforced here.
    """

    kind: type
    required: bool = False
    nullable: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    items: Field | None = None


def id_field(*, required: bool = False, nullable: bool = False) -> Field:
    """A field holding a database id."""
    return Field(int, required=required, nullable=nullable, minimum=1, maximum=ID_MAX)


def _reject_constant(name: str) -> Any:
    """Refuse ``NaN`` and ``Infinity``, which Python's parser accepts but JSON does not."""
    raise ValueError(f"{name} is not JSON")


def json_object() -> dict[str, Any]:
    """Return the request body as a JSON object; raise ``InvalidInput`` (``invalid_json``)."""
    error = InvalidInput(
        "Le corps de la requête doit être un objet JSON (Content-Type: application/json).",
        code="invalid_json",
    )
    if not request.is_json:
        raise error
    try:
        data = json.loads(request.get_data(), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise error from None
    if not isinstance(data, dict):
        raise error
    return data


def _check_type(name: str, value: Any, field: Field) -> None:
    """Raise ``InvalidInput`` naming ``name`` unless ``value`` fits ``field``."""
    # bool is a subclass of int in Python, but not in JSON
    if not isinstance(value, field.kind) or (field.kind is int and isinstance(value, bool)):
        raise InvalidInput(f"Le champ « {name} » doit être {_KIND_LABELS[field.kind]}.",
                           code="invalid_type", field=name)
    if isinstance(value, str):
        if not _storable_text(value):
            raise InvalidInput(f"Le champ « {name} » contient des caractères interdits.",
                               code="invalid_input", field=name)
        if field.max_length is not None and len(value) > field.max_length:
            raise InvalidInput(
                f"Le champ « {name} » dépasse {field.max_length} caractères.",
                code="invalid_input", field=name,
            )
        if field.pattern is not None and not re.fullmatch(field.pattern, value):
            raise InvalidInput(f"Le champ « {name} » n'a pas le format attendu.",
                               code="invalid_format", field=name)
    if isinstance(value, list):
        if not value or (field.max_length is not None and len(value) > field.max_length):
            raise InvalidInput(
                f"Le champ « {name} » doit compter de 1 à {field.max_length} éléments.",
                code="invalid_input", field=name,
            )
        if field.items is not None:
            for item in value:
                _check_type(name, item, field.items)
    if isinstance(value, int) and not (
        (field.minimum is None or value >= field.minimum)
        and (field.maximum is None or value <= field.maximum)
    ):
        raise InvalidInput(f"Le champ « {name} » est hors des valeurs permises.",
                           code="invalid_input", field=name)


def _storable_text(value: str) -> bool:
    """True for text every database accepts: encodable in UTF-8 and without NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def parse_body(fields: Mapping[str, Field]) -> dict[str, Any]:
    """Parse the JSON body against ``fields``: no unknown field, right types, required ones.

    Raises ``InvalidInput`` naming the field (``unknown_field``, ``missing_field``,
    ``invalid_type``, ``invalid_input``) or ``invalid_json`` for a body that is not an
    object. Absent optional fields are left out of the result.
    """
    data = json_object()
    for name in data:
        if name not in fields:
            raise InvalidInput(f"Champ inconnu : « {name[:60]} ».", code="unknown_field",
                               field=name[:60])
    for name, field in fields.items():
        if name not in data:
            if field.required:
                raise InvalidInput(f"Le champ « {name} » est obligatoire.",
                                   code="missing_field", field=name)
            continue
        if data[name] is None and field.nullable:
            continue
        _check_type(name, data[name], field)
    return data


def iso_date(value: date | None) -> str | None:
    """``YYYY-MM-DD`` or None."""
    return value.isoformat() if value is not None else None


def iso_datetime(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix, to the second, or None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

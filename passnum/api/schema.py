"""The API's typed building blocks: request and response models, and strict parsing.

Every endpoint declares its request body, query and answers as pydantic models built
from these blocks; ``passnum.api.openapi`` generates the OpenAPI document from the very
same models, so what is documented is exactly what is parsed and answered.

Why pydantic v2 and a small generator of ours rather than a Flask integration
(spectree, flask-openapi3, APIFlask, flask-smorest): those validate requests in their
own decorator and answer with their own error shape and status (422 with a list of
errors), register their own documentation routes and generate the whole document
themselves. We keep our edge (``api_endpoint``: authentication before parsing, CSRF,
one unit of work, stored idempotent answers) and our JSON error contract (a French
message, a stable ``code``, the ``field``), and document exactly our routes and
statuses. pydantic-core validates a body in a few microseconds from schemas built once
at import, and ``pydantic.json_schema.models_json_schema`` gives the JSON Schema 2020-12
that OpenAPI 3.1 uses; only the translation of validation errors into our codes is ours.

Parsing checks shape and types only; the meaning of each value (a valid postal code,
an existing beneficiary, an allowed reason) is the services' business.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, TypeVar

from flask import request
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from passnum.errors import InvalidInput

# Database ids are 32-bit integers on PostgreSQL: larger numbers cannot name a row.
ID_MAX = 2**31 - 1
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": ID_MAX}


def _storable(value: Any) -> Any:
    """Refuse text some database rejects: not encodable in UTF-8, or holding NUL."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise PydanticCustomError("forbidden_characters", "forbidden characters") from None
        if "\x00" in value:
            raise PydanticCustomError("forbidden_characters", "forbidden characters")
    return value


# Request fields ---------------------------------------------------------------------

ABSENT: Any = None
"""The default of a field that may be left out but, when given, is not null."""

Id = Annotated[int, Field(ge=1, le=ID_MAX)]
"""A database id."""


STORABLE = BeforeValidator(_storable)
"""Marks a text field: ``Annotated[str, Field(max_length=80), STORABLE]``; a ``pattern``
is anchored (``^(?:…)$``) and must match the whole text."""


def _document_request(schema: dict[str, Any], model: type) -> None:
    """Document a request body: no ``null`` default for an absent field, and the fields
    the services require (``documented_required``) listed as required."""
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]
    extra = getattr(model, "documented_required", ())
    if extra:
        schema["required"] = [*extra, *(n for n in schema.get("required", ())
                                        if n not in extra)]


class RequestModel(BaseModel):
    """A JSON request body: strict JSON types, no unknown field.

    ``documented_required``: fields the services require with their own refusal (a
    French sentence, a specific code) rather than ``missing_field``.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              json_schema_extra=_document_request)
    documented_required: ClassVar[tuple[str, ...]] = ()


class QueryModel(BaseModel):
    """Query parameters: strings read by each field's own parser; others are ignored.

    ``missing_messages`` gives a field's own sentence when it is required and absent.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)
    missing_messages: ClassVar[dict[str, str]] = {}


# Response fields --------------------------------------------------------------------


def iso_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, to the second."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


Instant = Annotated[datetime, PlainSerializer(iso_datetime, return_type=str),
                    WithJsonSchema({"type": "string", "format": "date-time"})]
"""A moment, answered in UTC to the second (``2024-03-01T09:30:00Z``)."""

Count = Annotated[int, Field(ge=0)]
Cents = Annotated[int, Field(ge=1)]


class ResponseModel(BaseModel):
    """A JSON answer: every field is always present (null when empty), no other."""

    model_config = ConfigDict(extra="forbid", frozen=True,
                              json_schema_serialization_defaults_required=True)


class ErrorDetail(ResponseModel):
    """The error itself; ``field`` and ``details`` appear only when they say something."""

    model_config = ConfigDict(json_schema_extra={"required": ["code", "message"]})
    code: str = Field(description="Motif stable (snake_case).")
    message: str = Field(description="Phrase en français.")
    field: str = Field(description="Champ en cause.")
    details: dict[str, Any]


class Error(ResponseModel):
    """The API's error body, as ``passnum.errors.DomainError.to_json`` writes it."""

    error: ErrorDetail


# Parsing ----------------------------------------------------------------------------

_KIND_LABELS = {"string_type": "une chaîne de caractères", "int_type": "un nombre entier",
                "bool_type": "un booléen", "list_type": "une liste"}

R = TypeVar("R", bound=RequestModel)
Q = TypeVar("Q", bound=QueryModel)


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


def parse_body(model: type[R]) -> R:
    """Parse the JSON body as ``model``: no unknown field, right types, required ones.

    Raises ``InvalidInput`` naming the field (``unknown_field``, ``missing_field``,
    ``invalid_type``, ``invalid_format``, ``invalid_input``) or ``invalid_json`` for a
    body that is not an object.
    """
    data = json_object()
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise _invalid_input(model, err.errors(include_url=False)) from None


def parse_query(model: type[Q]) -> Q:
    """Parse the query string as ``model`` (the first value of each parameter)."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as err:
        raise _invalid_input(model, err.errors(include_url=False)) from None


def _invalid_input(model: type[BaseModel], errors: list[ErrorDetails]) -> InvalidInput:
    """The ``InvalidInput`` of the first error; unknown fields are named first."""
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    kind, ctx = error["type"], error.get("ctx") or {}
    name = str(error["loc"][0]) if error["loc"] else ""
    if kind == "extra_forbidden":
        return InvalidInput(f"Champ inconnu : « {name[:60]} ».", code="unknown_field",
                            field=name[:60])
    if kind == "missing":
        message = getattr(model, "missing_messages", {}).get(name)
        return InvalidInput(message or f"Le champ « {name} » est obligatoire.",
                            code="missing_field", field=name)
    if kind in _KIND_LABELS:
        return InvalidInput(f"Le champ « {name} » doit être {_KIND_LABELS[kind]}.",
                            code="invalid_type", field=name)
    if kind == "string_pattern_mismatch":
        return InvalidInput(f"Le champ « {name} » n'a pas le format attendu.",
                            code="invalid_format", field=name)
    if kind == "forbidden_characters":
        message = f"Le champ « {name} » contient des caractères interdits."
    elif ctx.get("field_type") == "List" or (kind == "too_short" and len(error["loc"]) == 1):
        message = (f"Le champ « {name} » doit compter de 1 à "
                   f"{_max_length(model, name)} éléments.")
    elif kind in ("string_too_long", "too_long"):
        message = f"Le champ « {name} » dépasse {ctx['max_length']} caractères."
    elif kind in ("greater_than_equal", "less_than_equal"):
        message = f"Le champ « {name} » est hors des valeurs permises."
    else:
        message = f"Le champ « {name} » n'est pas valable."
    return InvalidInput(message, code="invalid_input", field=name)


def _max_length(model: type[BaseModel], name: str) -> int | None:
    """The declared maximum length of field ``name``."""
    field = model.model_fields.get(name)
    bounds = [m.max_length for m in field.metadata if hasattr(m, "max_length")] if field else []
    return bounds[0] if bounds else None

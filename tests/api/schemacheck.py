"""A small JSON Schema checker for the subset our OpenAPI document uses.

It refuses keywords it does not know, so a schema can never be silently unchecked.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

ANNOTATIONS = {"description", "title", "contentMediaType"}
TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/components/...``)."""
    while "$ref" in schema:
        node: Any = doc
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _format_ok(fmt: str, value: str) -> bool:
    if fmt == "date":
        return len(value) == 10 and date.fromisoformat(value) is not None
    if fmt == "date-time":
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return "T" in value and parsed.tzinfo is not None
    if fmt == "uri":
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc)
    raise AssertionError(f"unknown format {fmt}")


def validate(value: Any, schema: dict[str, Any], doc: dict[str, Any], where: str = "$") -> None:
    """Raise ``AssertionError`` naming the first place where ``value`` breaks ``schema``."""
    schema = resolve(doc, schema)
    unknown = set(schema) - ANNOTATIONS - set(_CHECKS)
    assert not unknown, f"{where}: schema keywords not understood: {unknown}"
    for keyword in _ORDER:
        if keyword in schema:
            _CHECKS[keyword](value, schema, doc, where)


def _type(value: Any, schema: dict, doc: dict, where: str) -> None:
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    assert any(TYPES[k](value) for k in kinds), f"{where}: {value!r} is not {kinds}"


def _properties(value: Any, schema: dict, doc: dict, where: str) -> None:
    if isinstance(value, dict):
        for name, sub in schema["properties"].items():
            if name in value:
                validate(value[name], sub, doc, f"{where}.{name}")


def _required(value: Any, schema: dict, doc: dict, where: str) -> None:
    if isinstance(value, dict):
        missing = [n for n in schema["required"] if n not in value]
        assert not missing, f"{where}: missing {missing}"


def _additional(value: Any, schema: dict, doc: dict, where: str) -> None:
    if isinstance(value, dict) and schema["additionalProperties"] is False:
        extra = set(value) - set(schema.get("properties", {}))
        assert not extra, f"{where}: undocumented properties {extra}"


def _items(value: Any, schema: dict, doc: dict, where: str) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            validate(item, schema["items"], doc, f"{where}[{i}]")


def _string_check(test):
    def check(value: Any, schema: dict, doc: dict, where: str) -> None:
        if isinstance(value, str):
            assert test(value, schema), f"{where}: {value!r} breaks {schema}"
    return check


def _number_check(test):
    def check(value: Any, schema: dict, doc: dict, where: str) -> None:
        if TYPES["number"](value):
            assert test(value, schema), f"{where}: {value!r} breaks {schema}"
    return check


_CHECKS = {
    "type": _type,
    "enum": lambda v, s, d, w: _assert(v in s["enum"], f"{w}: {v!r} not in {s['enum']}"),
    "const": lambda v, s, d, w: _assert(v == s["const"], f"{w}: {v!r} != {s['const']!r}"),
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "items": _items,
    "minLength": _string_check(lambda v, s: len(v) >= s["minLength"]),
    "maxLength": _string_check(lambda v, s: len(v) <= s["maxLength"]),
    "pattern": _string_check(lambda v, s: re.search(s["pattern"], v) is not None),
    "format": _string_check(lambda v, s: _format_ok(s["format"], v)),
    "minimum": _number_check(lambda v, s: v >= s["minimum"]),
    "maximum": _number_check(lambda v, s: v <= s["maximum"]),
}
_ORDER = list(_CHECKS)


def _assert(condition: bool, message: str) -> None:
    assert condition, message

"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``.

Generated from the application's routes and the contracts declared on their handlers
(``passnum.api.contract``): paths and path parameters come from the URL rules, bodies,
queries and answers from the declared pydantic models, security and the idempotency
and CSRF headers from the edge's rules. It is built once per application.
"""

from __future__ import annotations

import copy
import inspect
import re
from typing import Any

from flask import Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

from passnum.api import bp
from passnum.api.contract import Operation, Reply, contract, operations_of
from passnum.api.edge import (
    CSRF_HEADERS,
    IDEMPOTENCY_HEADER,
    UNSAFE_METHODS,
    api_endpoint,
    is_public,
)
from passnum.api.schema import ID_SCHEMA, Error

COMPONENTS = "#/components/schemas/"
METHODS = ("get", "post", "put", "patch", "delete")
_RULE_PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")

ERRORS = {
    400: "Requête mal formée (corps non JSON, champ de mauvais type…).",
    401: "Authentification requise.",
    403: "Rôle insuffisant.",
    404: "Introuvable ou hors de votre périmètre.",
    409: "Conflit (doublon, déjà fait…).",
    422: "Refusé par une règle (allocation épuisée, consentement manquant…).",
    429: "Trop de tentatives.",
}
IDEMPOTENCY = {
    "name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
    "description": "Une requête rejouée avec la même clé renvoie la première réponse "
                   "sans rien refaire ; la même clé pour une autre requête est refusée (422). "
                   "La réponse est gardée 48 h (réglable) : passé ce délai, la requête est "
                   "traitée comme nouvelle (un encaissement garde sa clé sans limite).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[!-~]+$"},
}
CSRF = {
    "name": CSRF_HEADERS[0], "in": "header", "required": False,
    "description": "Jeton CSRF de la page, exigé avec le cookie de session (pas avec un "
                   "jeton Bearer).",
    "schema": {"type": "string"},
}
# a POST that only names its object in the path: no body, or an empty JSON object
NO_BODY = {"required": False, "content": {"application/json": {
    "schema": {"type": "object", "additionalProperties": False}}}}
SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "Jeton obtenu par POST /api/v1/tokens."},
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                   "description": "Session du site ; les POST exigent l'en-tête X-CSRFToken."},
}


class _Schemas(GenerateJsonSchema):
    """Pydantic's JSON Schema without a title on every property, nor the classes'
    docstrings (written for developers, in English) as descriptions."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        """Properties are named by their key: no title."""
        return False

    def model_schema(self, schema: Any) -> dict[str, Any]:
        """A model's schema; a French ``description`` comes from ``json_schema_extra``."""
        return _without_docstring(super().model_schema(schema), schema["cls"])


def _without_docstring(json_schema: dict[str, Any], cls: type) -> dict[str, Any]:
    """``json_schema`` without the description pydantic took from ``cls``' docstring."""
    if cls.__doc__ and json_schema.get("description") == inspect.cleandoc(cls.__doc__):
        del json_schema["description"]
    return json_schema


def document(app: Flask | None = None) -> dict[str, Any]:
    """The OpenAPI document of the JSON API (built once per application)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("passnum.openapi")
    if cached is None:
        cached = app.extensions["passnum.openapi"] = _build(app)
    return cached


def _routes(app: Flask) -> list[tuple[str, str, Any, Operation]]:
    """(OpenAPI path, method, view, operation) of every API route, in URL order."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{bp.name}."):
            continue
        view = app.view_functions[rule.endpoint]
        operations = operations_of(view)
        path = _openapi_path(rule.rule)
        for method in sorted(m.lower() for m in rule.methods or ()):
            if method not in METHODS:
                continue
            operation = next((op for op in operations if op.method in (None, method)), None)
            if operation is None:
                raise LookupError(f"{rule.endpoint} {method}: no contract declared")
            found.append((path, method, view, operation))
    return found


def _models(routes: list[tuple[str, str, Any, Operation]]
            ) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    """Every named component: request bodies, JSON answers and the error body."""
    models: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Error, "serialization"): None}
    for *_, operation in routes:
        if operation.body is not None:
            models[(operation.body, "validation")] = None
        for reply in operation.ok.values():
            if reply.model is not None:
                models[(reply.model, "serialization")] = None
    return list(models)


def _inline(node: Any, defs: dict[str, Any], named: set[str]) -> Any:
    """``node`` with references to unnamed definitions replaced by their schema."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(COMPONENTS):
            name = ref.removeprefix(COMPONENTS)
            if name not in named:
                return _inline({**copy.deepcopy(defs[name]),
                                **{k: v for k, v in node.items() if k != "$ref"}}, defs, named)
        if "enum" in node and "title" in node:  # a Python enumeration: not its docstring
            node = {key: value for key, value in node.items() if key != "description"}
        return {key: _inline(value, defs, named) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, defs, named) for item in node]
    return node


def _query_parameters(operation: Operation) -> list[dict[str, Any]]:
    """The operation's query parameters, from its query model."""
    if operation.query is None:
        return []
    properties = operation.query.model_json_schema(schema_generator=_Schemas)["properties"]
    parameters = []
    for name, info in operation.query.model_fields.items():
        schema = {k: v for k, v in properties[name].items() if k not in ("description",
                                                                          "default")}
        parameters.append({"name": name, "in": "query", "required": info.is_required(),
                           "description": info.description, "schema": schema})
    return parameters


def _content(reply: Reply, refs: dict[type[BaseModel], str]) -> dict[str, Any]:
    """The documented content of a success answer."""
    if reply.model is not None:
        schema: dict[str, Any] = {"$ref": refs[reply.model]}
    elif reply.media_type == "application/json":
        schema = dict(reply.schema or {"type": "object"})
    else:
        schema = {"contentMediaType": reply.media_type}  # bytes, not a JSON string
    return {"description": reply.description, "content": {reply.media_type: {"schema": schema}}}


def _operation(path: str, method: str, view: Any, operation: Operation,
               refs: dict[type[BaseModel], str]) -> dict[str, Any]:
    """The OpenAPI operation object of one route and method."""
    public = is_public(view)
    parameters = [{"name": name, "in": "path", "required": True,
                   "description": operation.path[name], "schema": ID_SCHEMA}
                  for name in _path_names(path)]
    if not public and method == "post":
        parameters.append(IDEMPOTENCY)
    if not public and method.upper() in UNSAFE_METHODS:
        parameters.append(CSRF)
    parameters += _query_parameters(operation)
    error = {"content": {"application/json": {"schema": {"$ref": refs[Error]}}}}
    result: dict[str, Any] = {"operationId": operation.operation_id,
                              "summary": operation.summary, "tags": [operation.tag]}
    if operation.description:
        result["description"] = operation.description
    if public:
        result["security"] = []
    if parameters:
        result["parameters"] = parameters
    if operation.body is not None:
        result["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": {"$ref": refs[operation.body]}}}}
    elif method == "post":
        result["requestBody"] = NO_BODY
    result["responses"] = {
        **{str(status): _content(reply, refs) for status, reply in operation.ok.items()},
        **{str(status): {"description": ERRORS[status], **error}
           for status in operation.errors},
        "default": {"description": "Autre erreur.", **error},
    }
    return result


def _openapi_path(rule: str) -> str:
    """``/booklets/<id:booklet_id>`` → ``/booklets/{booklet_id}``; path parameters are
    database ids (the ``id`` converter), the only kind documented."""

    def parameter(match: re.Match[str]) -> str:
        if match.group(1) != "id":
            raise LookupError(f"{rule}: only <id:…> path parameters are documented")
        return f"{{{match.group(2)}}}"

    return _RULE_PARAMETER.sub(parameter, rule)


def _path_names(path: str) -> list[str]:
    """The parameter names of an OpenAPI path, in order."""
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _build(app: Flask) -> dict[str, Any]:
    """Generate the document from the routes and their contracts."""
    routes = _routes(app)
    models = _models(routes)
    keys, top = models_json_schema(models, ref_template=COMPONENTS + "{model}",
                                   schema_generator=_Schemas)
    refs = {model: keys[(model, mode)]["$ref"] for model, mode in models}
    defs = top.get("$defs", {})
    named = {ref.removeprefix(COMPONENTS) for ref in refs.values()}
    schemas = {name: _inline(defs[name], defs, named) for name in sorted(named)}
    paths: dict[str, dict[str, Any]] = {}
    for path, method, view, operation in routes:
        paths.setdefault(path, {})[method] = _operation(path, method, view, operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "passnum API",
            "version": "1.0.0",
            "description": "API du Pass numérique 78-92. Erreurs : "
                           '{"error": {"code": "<motif>", "message": "<phrase>"}}.',
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


@bp.get("/openapi.json")
@api_endpoint(public=True)
@contract(Operation("getOpenApi", "Cette description", "meta",
                    ok={200: Reply("Document OpenAPI 3.1.", schema={"type": "object"})}))
def openapi_endpoint() -> Any:
    """Serve the OpenAPI document (public)."""
    return jsonify(document())

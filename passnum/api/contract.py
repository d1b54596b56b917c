"""Each endpoint's contract, declared once next to its handler.

``@contract(Operation(...))`` sits right above the handler, under ``api_endpoint``: it
parses the declared body and query (inside the edge's unit of work, after
authentication) and hands them to the handler as ``body`` and ``query``; it turns the
handler's answer model into JSON. ``passnum.api.openapi`` reads the same declarations
to write the OpenAPI document. The models are pydantic's (why: ``passnum.api.schema``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Response, request
from pydantic import BaseModel

from passnum.api.schema import QueryModel, RequestModel, parse_body, parse_query

OPERATIONS_ATTRIBUTE = "api_operations"


@dataclass(frozen=True)
class Reply:
    """A success answer: a JSON ``model``, or another media type (a PDF), or a raw
    JSON ``schema``."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str = "application/json"
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Operation:
    """One method of one route: what it reads, what it answers, how it is documented.

    ``ok`` maps success statuses to answers; ``errors`` lists the documented error
    statuses (``default`` is always added). ``path`` describes each path parameter.
    ``method`` is needed only when one handler serves several methods. A POST without
    ``body`` takes no body (or an empty object), and reads none.
    """

    operation_id: str
    summary: str
    tag: str
    ok: Mapping[int, Reply]
    errors: tuple[int, ...] = ()
    body: type[RequestModel] | None = None
    query: type[QueryModel] | None = None
    path: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    method: str | None = None


View = Callable[..., Any]


def operations_of(view: View) -> tuple[Operation, ...]:
    """The operations declared on a view (``functools.wraps`` carries them outwards)."""
    return getattr(view, OPERATIONS_ATTRIBUTE, ())


def _operation_for(operations: tuple[Operation, ...], method: str) -> Operation:
    """The operation serving ``method``."""
    method = method.lower()
    return next(op for op in operations if op.method in (None, method))


def contract(*operations: Operation) -> Callable[[View], View]:
    """Declare the handler's operation(s); parse their inputs, serialise their answers."""

    def decorate(fn: View) -> View:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            operation = (operations[0] if len(operations) == 1
                         else _operation_for(operations, request.method))
            if operation.body is not None:
                kwargs["body"] = parse_body(operation.body)
            if operation.query is not None:
                kwargs["query"] = parse_query(operation.query)
            return _answer(operation, fn(*args, **kwargs))

        setattr(wrapper, OPERATIONS_ATTRIBUTE, operations)
        return wrapper

    return decorate


def _answer(operation: Operation, result: Any) -> Any:
    """The handler's answer with its model as JSON; refuse a model the contract does not
    declare for the status."""
    if isinstance(result, Response):
        return result
    parts = result if isinstance(result, tuple) else (result,)
    model, status = parts[0], parts[1] if len(parts) > 1 else 200
    reply = operation.ok.get(status)
    if reply is None or reply.model is None or type(model) is not reply.model:
        raise TypeError(f"{operation.operation_id}: {type(model).__name__} answered with "
                        f"{status} is not declared")
    body = model.model_dump(mode="json")
    return (body, *parts[1:]) if len(parts) > 1 else body

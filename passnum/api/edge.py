"""The edge of every API endpoint: who is calling, CSRF, the transaction, idempotent retries.

``api_endpoint`` requires a user (session cookie or bearer token), asks cookie sessions
for a CSRF token on unsafe methods, runs the handler in one unit of work and, for a POST
carrying an ``Idempotency-Key``, stores the answer in the same transaction so that a
retry gets it back unchanged instead of doing the operation twice. An answer is
replayed for ``IDEMPOTENCY_TTL_HOURS`` (48 h by default): a retry after that is a new
request, and ``purge`` deletes expired answers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from wtforms import ValidationError

from passnum.core.db import unit_of_work
from passnum.core.idempotency import answers_expire_before
from passnum.core.models import IdempotentResponse
from passnum.errors import DomainError, InvalidInput, RuleRefused, Unauthenticated
from passnum.extensions import db

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")

View = Callable[..., Any]
PUBLIC_ATTRIBUTE = "api_public"


def api_endpoint(view: View | None = None, *, public: bool = False,
                 replays_itself: bool = False, person_field: str | None = None) -> Any:
    """Decorate an API handler; ``public=True`` skips authentication and idempotency.

    ``person_field``: the answer's JSON field holding the id of the beneficiary it shows;
    a stored answer keeps it, so that the purge deletes the answer with the person.

    ``replays_itself=True``: the handler's service keeps the Idempotency-Key with what
    it writes and answers a known key itself (redemptions do, in the same statement
    that locks the vouchers), so the edge only checks the key's form.
    Raises ``Unauthenticated`` (401) without a user, ``InvalidInput`` (``csrf_failed``,
    ``invalid_idempotency_key``) and ``RuleRefused`` (``idempotency_key_reused``).
    """

    def decorate(fn: View) -> View:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            if not public:
                _require_user()
                _check_csrf()
            key = None if public else _idempotency_key()
            if key is not None and not replays_itself:
                return _run_idempotent(key, fn, args, kwargs, person_field)
            with unit_of_work():
                return make_response(fn(*args, **kwargs))

        setattr(wrapper, PUBLIC_ATTRIBUTE, public)
        return wrapper

    return decorate if view is None else decorate(view)


def is_public(view: View) -> bool:
    """True for an endpoint that ``api_endpoint`` declared public (no authentication)."""
    return bool(getattr(view, PUBLIC_ATTRIBUTE, False))


def _require_user() -> None:
    """Raise ``Unauthenticated`` unless a session or a bearer token named a user."""
    if not current_user.is_authenticated:
        raise Unauthenticated(
            "Authentification requise : envoyez un jeton (Authorization: Bearer …) "
            "ou connectez-vous.",
            code="unauthenticated",
        )


def _check_csrf() -> None:
    """Cookie sessions must prove the request comes from our pages; bearer calls need not.

    A browser sends the session cookie to cross-site requests, never an Authorization
    header: only the former needs the CSRF token.
    """
    if request.method not in UNSAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED"):
        return
    if session.get("_user_id") is None:
        return
    token = next((request.headers[h] for h in CSRF_HEADERS if request.headers.get(h)), None)
    try:
        validate_csrf(token)
    except ValidationError:
        raise InvalidInput(
            "Jeton CSRF manquant ou invalide : envoyez l'en-tête X-CSRFToken de la page.",
            code="csrf_failed",
        ) from None


def _idempotency_key() -> str | None:
    """The POST's ``Idempotency-Key``, if any; raise ``InvalidInput`` when malformed."""
    if request.method != "POST" or IDEMPOTENCY_HEADER not in request.headers:
        return None
    key = request.headers[IDEMPOTENCY_HEADER]
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput(
            "L'en-tête Idempotency-Key doit compter de 1 à 100 caractères ASCII visibles.",
            code="invalid_idempotency_key",
        )
    return key


def _fingerprint() -> str:
    """Hash of what makes two requests the same: method, path, query and JSON body."""
    raw = request.get_data()
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        body = raw.hex()
    canonical = json.dumps([request.method, request.path, request.query_string.hex(), body])
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stored_response(key: str, fingerprint: str) -> Response | None:
    """The stored answer for this key, if any; refuse a key reused for another request."""
    row = db.session.scalar(
        select(IdempotentResponse).where(
            IdempotentResponse.user_id == current_user.id, IdempotentResponse.key == key
        )
    )
    if row is None:
        return None
    if row.created_at < answers_expire_before(current_app.config):
        # past its lifetime the key is free again: this request is decided anew (a
        # statement, not the ORM's delete, so that a concurrent retry deleting it first
        # is no error: its new answer then wins on the key's unique constraint)
        db.session.expunge(row)
        db.session.execute(delete(IdempotentResponse).where(IdempotentResponse.id == row.id))
        return None
    if (row.method, row.path, row.request_hash) != (request.method, request.path, fingerprint):
        raise RuleRefused(
            "Cette clé d'idempotence a déjà servi pour une autre requête : "
            "utilisez une nouvelle clé.",
            code="idempotency_key_reused",
        )
    response = current_app.response_class(row.body, status=row.status,
                                          mimetype="application/json")
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _run_idempotent(key: str, fn: View, args: tuple, kwargs: dict,
                    person_field: str | None) -> Response:
    """Replay a known key, or run the handler and keep its success in the same transaction.

    Refusals are not stored: nothing changed, so a retry is simply decided again. Two
    concurrent requests with one key both run; the loser, refused by a row lock or by the
    key's unique constraint, rolls back, then answers with the winner's response.
    """
    fingerprint = _fingerprint()
    try:
        with unit_of_work():
            stored = _stored_response(key, fingerprint)
            if stored is not None:
                return stored
            response = make_response(fn(*args, **kwargs))
            if 200 <= response.status_code < 300 and response.is_json:
                db.session.add(IdempotentResponse(
                    user_id=current_user.id, key=key, method=request.method,
                    path=request.path, request_hash=fingerprint,
                    status=response.status_code, body=response.get_data(as_text=True),
                    beneficiary_id=_person_shown(response, person_field),
                ))
                db.session.flush()
            return response
    except (IntegrityError, DomainError):
        # A concurrent request with this key may have committed meanwhile: the services
        # serialise on row locks, so the loser sees a conflict (or the key's unique
        # constraint) only once the winner is done; it answers with the winner's response.
        with unit_of_work():
            stored = _stored_response(key, fingerprint)
        if stored is None:
            raise
        return stored


def _person_shown(response: Response, person_field: str | None) -> int | None:
    """The beneficiary id named by the answer's ``person_field``, if any."""
    body = response.get_json(silent=True) if person_field else None
    value = body.get(person_field) if isinstance(body, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def add_api_headers(response: Response) -> Response:
    """API answers hold personal data or tokens: never cache them; say how to log in."""
    response.headers.setdefault("Cache-Control", "no-store")
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="passnum"')
    return response

"""DomainError and the one handler that renders errors as JSON (API) or HTML."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, flash, jsonify, make_response, redirect, render_template, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, TooManyRequests

from passnum.core.resume import resume_url


@dataclass
class AuditNote:
    """An audit event to record even though the refused operation is rolled back."""

    action: str
    object_type: str | None = None
    object_id: str | int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None
    ip: str | None = None


class DomainError(Exception):
    """A refused operation with a stable ``code``, an HTTP status and a French message."""

    http_status = 422
    default_code = "refused"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        audit: AuditNote | None = None,
        field: str | None = None,
        after_rollback: Callable[[], None] | None = None,
        retry_after: int | None = None,
    ) -> None:
        """``audit`` and ``after_rollback`` (a state change that must outlive the refusal,
        such as a failed-login counter) run in a fresh transaction after the rollback;
        ``retry_after`` (seconds) becomes a ``Retry-After`` header."""
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details or {}
        self.audit = audit
        self.field = field
        self.after_rollback = after_rollback
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        """Return the API's JSON error body."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        if self.field:
            body["field"] = self.field
        return {"error": body}


class InvalidInput(DomainError):
    """Malformed input (400)."""

    http_status = 400
    default_code = "invalid_input"


class Unauthenticated(DomainError):
    """No valid credentials (401)."""

    http_status = 401
    default_code = "unauthenticated"


class Forbidden(DomainError):
    """Authenticated but not allowed (403)."""

    http_status = 403
    default_code = "forbidden"


class NotFound(DomainError):
    """Unknown or out of the actor's scope (404)."""

    http_status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """Conflicts with existing state: duplicate, already done (409)."""

    http_status = 409
    default_code = "conflict"


class RuleRefused(DomainError):
    """A business rule refuses the operation (422)."""

    http_status = 422
    default_code = "refused"


class RateLimited(DomainError):
    """Too many attempts (429)."""

    http_status = 429
    default_code = "rate_limited"


HTTP_MESSAGES = {
    400: ("bad_request", "La requête est mal formée."),
    401: ("unauthenticated", "Authentification requise."),
    403: ("forbidden", "Vous n'avez pas accès à cette ressource."),
    404: ("not_found", "Ressource introuvable."),
    405: ("method_not_allowed", "Méthode non autorisée pour cette adresse."),
    413: ("payload_too_large", "La requête est trop volumineuse."),
    415: ("unsupported_media_type", "Le contenu doit être envoyé en JSON."),
    429: ("rate_limited", "Trop de tentatives : réessayez dans un moment."),
    500: ("internal_error", "Une erreur interne est survenue ; elle a été enregistrée."),
    503: ("database_unavailable", "Le service est momentanément indisponible : rien n'a été "
          "enregistré. Réessayez dans quelques secondes."),
}
RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    """True for API calls: the JSON API lives under ``/api/``."""
    return request.path.startswith("/api/")


def render_error(status: int, code: str, message: str, body: dict[str, Any] | None = None):
    """Render an error as the JSON error body for the API, or the French error page; returns
    (response, status) so that handlers can add headers."""
    if wants_json():
        return jsonify(body or {"error": {"code": code, "message": message}}), status
    page = render_template("errors.html", status=status, message=message, code=code)
    return make_response(page, status), status


def _discard_session() -> None:
    """Forget the failed session so the next request starts on a fresh connection."""
    from passnum.extensions import db

    with suppress(DBAPIError):  # the connection is gone: nothing to roll back on the server
        db.session.rollback()
    db.session.remove()


def _back_to_expired_form():
    """A form sent after its token or the session expired: back to its page (through the
    login page when the session is gone), where the browser refills what was typed."""
    flash("Le formulaire avait expiré : ce que vous aviez saisi a été repris. "
          "Vérifiez-le puis renvoyez le formulaire.", "info")
    return redirect(resume_url())


def register_error_handlers(app: Flask) -> None:
    """Install the single error renderer for domain errors and HTTP errors."""

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        response = render_error(err.http_status, err.code, err.message, err.to_json())
        if err.retry_after:
            response[0].headers["Retry-After"] = str(err.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        status = err.code or 500
        code, message = HTTP_MESSAGES.get(status, ("http_error", err.description or ""))
        if status == 400 and err.description and "CSRF" in str(err.description):
            if request.method == "POST" and not wants_json():
                return _back_to_expired_form()
            code, message = "csrf_failed", "Le formulaire a expiré : rechargez la page."
        response = render_error(status, code, message)
        if isinstance(err, TooManyRequests) and err.retry_after:
            response[0].headers["Retry-After"] = str(err.retry_after)
        if isinstance(err, MethodNotAllowed) and err.valid_methods:
            response[0].headers["Allow"] = ", ".join(err.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(err: Exception):
        # the connection failed or was cut: the transaction was rolled back as a whole,
        # so the same request can simply be sent again
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path,
                           type(err.__cause__ or err).__name__)
        _discard_session()
        code, message = HTTP_MESSAGES[503]
        response = render_error(503, code, message)
        response[0].headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        code, message = HTTP_MESSAGES[500]
        return render_error(500, code, message)

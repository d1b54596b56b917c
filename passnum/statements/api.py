"""JSON API: generate and read reimbursement statements (``/api/v1/statements``)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user

from passnum.api import bp
from passnum.api.edge import api_endpoint
from passnum.api.schema import Field, id_field, iso_date, iso_datetime, parse_body
from passnum.auth.models import Role
from passnum.errors import Forbidden, InvalidInput, NotFound
from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.statements import queries, services
from passnum.statements.download import statement_pdf
from passnum.statements.models import Statement
from passnum.venues.models import Venue

STATEMENT_ID = "<id:statement_id>"
GENERATE_FIELDS = {
    "venue_id": id_field(required=True),
    "period": Field(str, required=True, max_length=7, pattern=r"[0-9]{4}-[0-9]{2}"),
    "departement": Field(str, nullable=True, max_length=3),
}


def statement_json(statement: Statement) -> dict[str, Any]:
    """A statement's identity, status and totals."""
    return {
        "id": statement.id,
        "reference": queries.reference(statement),
        "venue_id": statement.venue_id,
        "departement": statement.departement.code,
        "period": queries.period_key(statement),
        "period_start": iso_date(statement.period_start),
        "period_end": iso_date(statement.period_end),
        "status": statement.status,
        "voucher_count": statement.voucher_count,
        "total_cents": statement.total_cents,
        "adjustment_cents": statement.adjustment_cents,
        "amount_due_cents": queries.amount_due(statement),
        "generated_at": iso_datetime(statement.generated_at),
        "validated_at": iso_datetime(statement.validated_at),
        "paid_on": iso_date(statement.paid_on),
        "payment_reference": statement.payment_reference,
    }


def _paying_departement(code: str | None) -> Departement:
    """The département asked for; managers default to theirs, admins must name one."""
    if code is None and current_user.role == Role.MANAGER:
        return db.session.get(Departement, current_user.departement_id)
    if code is None:
        raise InvalidInput("Indiquez le département payeur (champ « departement »).",
                           code="missing_field", field="departement")
    departement = queries.departement_by_code(code)
    if departement is None:
        raise InvalidInput(f"Département inconnu : « {code} ».", code="unknown_departement",
                           field="departement")
    return departement


@bp.post("/statements")
@api_endpoint
def generate_statement_endpoint() -> tuple[dict[str, Any], int]:
    """Create the draft (201) or bring the existing draft up to date (200)."""
    data = parse_body(GENERATE_FIELDS)
    if current_user.role not in (Role.MANAGER, Role.ADMIN):
        raise Forbidden("Seuls les gestionnaires et les administrateurs génèrent les relevés.")
    period_start = queries.parse_period(data["period"])
    departement = _paying_departement(data.get("departement"))
    venue = db.session.get(Venue, data["venue_id"])
    if venue is None:
        raise NotFound("Lieu introuvable.")
    result = services.generate(current_user, venue, departement, period_start)
    return statement_json(result.statement), 201 if result.created else 200


@bp.get(f"/statements/{STATEMENT_ID}")
@api_endpoint
def get_statement_endpoint(statement_id: int) -> dict[str, Any]:
    """One statement in the caller's scope; 404 otherwise."""
    return statement_json(queries.get_statement(current_user, statement_id))


@bp.get(f"/statements/{STATEMENT_ID}/pdf")
@api_endpoint
def statement_pdf_endpoint(statement_id: int) -> Response:
    """The statement as a PDF, in the caller's scope; 404 otherwise."""
    return statement_pdf(queries.get_statement(current_user, statement_id))

"""JSON API: generate and read reimbursement statements (``/api/v1/statements``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from flask import Response
from flask_login import current_user
from pydantic import Field

from passnum.api import bp
from passnum.api.contract import Operation, Reply, contract
from passnum.api.edge import api_endpoint
from passnum.api.schema import STORABLE, Count, Id, Instant, RequestModel, ResponseModel
from passnum.auth.models import Role
from passnum.errors import Forbidden, InvalidInput, NotFound
from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.programmes.queries import departement_by_code
from passnum.statements import models, queries, services
from passnum.statements.download import statement_pdf
from passnum.venues.models import Venue

STATEMENT_ID = "<id:statement_id>"
STATEMENT_PATH = {"statement_id": "Identifiant du relevé."}
MONTH = r"^[0-9]{4}-[0-9]{2}$"


class StatementCreate(RequestModel):
    """The venue, month and paying département of the statement to generate."""

    venue_id: Id = Field(description="Lieu labellisé (de l'un ou l'autre département).")
    period: Annotated[str, Field(max_length=7, pattern=r"^(?:[0-9]{4}-[0-9]{2})$"),
                      STORABLE] = Field(
        description="Mois du relevé, AAAA-MM (heure de Paris) ; commencé.")
    departement: Annotated[str, Field(max_length=3), STORABLE] | None = Field(
        None, description="Code du département payeur ; par défaut celui du gestionnaire, "
                          "obligatoire pour un administrateur.")


class Statement(ResponseModel):
    """A reimbursement statement: identity, status and totals in cents."""

    id: Id
    reference: str = Field(pattern=r"^RL-[0-9A-Za-z]+-[0-9]{4}-[0-9]{2}-[0-9]{6,}$",
                           description="Référence imprimée, ex. RL-78-2024-03-000123.")
    venue_id: Id
    departement: str = Field(description="Code du département payeur.")
    period: str = Field(pattern=MONTH)
    period_start: date
    period_end: date = Field(description="Premier jour du mois suivant (exclu).")
    status: Literal["draft", "validated", "paid", "archived"]
    voucher_count: Count
    total_cents: Count
    adjustment_cents: int = Field(description="Régularisations reprises (signées).")
    amount_due_cents: int = Field(description="total_cents + adjustment_cents.")
    generated_at: Instant | None
    validated_at: Instant | None
    paid_on: date | None
    payment_reference: str | None

    @classmethod
    def from_model(cls, statement: models.Statement) -> Statement:
        """The answer for a stored statement."""
        return cls.model_validate({
            "id": statement.id, "reference": queries.reference(statement),
            "venue_id": statement.venue_id, "departement": statement.departement.code,
            "period": queries.period_key(statement), "period_start": statement.period_start,
            "period_end": statement.period_end, "status": statement.status,
            "voucher_count": statement.voucher_count, "total_cents": statement.total_cents,
            "adjustment_cents": statement.adjustment_cents,
            "amount_due_cents": queries.amount_due(statement),
            "generated_at": statement.generated_at, "validated_at": statement.validated_at,
            "paid_on": statement.paid_on, "payment_reference": statement.payment_reference})


def _paying_departement(code: str | None) -> Departement:
    """The département asked for; managers default to theirs, admins must name one."""
    if code is None and current_user.role == Role.MANAGER:
        own = db.session.get(Departement, current_user.departement_id)
        if own is not None:
            return own
    if code is None:
        raise InvalidInput("Indiquez le département payeur (champ « departement »).",
                           code="missing_field", field="departement")
    departement = departement_by_code(code)
    if departement is None:
        raise InvalidInput(f"Département inconnu : « {code} ».", code="unknown_departement",
                           field="departement")
    return departement


@bp.post("/statements")
@api_endpoint
@contract(Operation(
    "generateStatement", "Générer (ou mettre à jour) le relevé d'un lieu pour un mois",
    "statements", body=StatementCreate,
    description="Gestionnaires (leur département payeur) et administrateurs. Reprend les "
                "chèques encaissés par le lieu avant la fin du mois et payés par le "
                "département, non encore relevés, et les régularisations en attente. 201 : "
                "brouillon créé ; 200 : brouillon existant mis à jour ; 409 "
                "statement_frozen : relevé déjà validé ; 422 nothing_to_state (rien à "
                "relever, aucun relevé vide n'est créé) ou period_not_started.",
    ok={201: Reply("Brouillon créé.", Statement),
        200: Reply("Brouillon existant mis à jour.", Statement)},
    errors=(400, 401, 403, 404, 409, 422)))
def generate_statement_endpoint(body: StatementCreate) -> tuple[Statement, int]:
    """Create the draft (201) or bring the existing draft up to date (200)."""
    if current_user.role not in (Role.MANAGER, Role.ADMIN):
        raise Forbidden("Seuls les gestionnaires et les administrateurs génèrent les relevés.")
    period_start = queries.parse_period(body.period)
    departement = _paying_departement(body.departement)
    venue = db.session.get(Venue, body.venue_id)
    if venue is None:
        raise NotFound("Lieu introuvable.")
    result = services.generate(current_user, venue, departement, period_start)
    return Statement.from_model(result.statement), 201 if result.created else 200


@bp.get(f"/statements/{STATEMENT_ID}")
@api_endpoint
@contract(Operation(
    "getStatement", "Lire un relevé", "statements",
    description="Gestionnaires du département payeur, administrateurs, agents du lieu.",
    path=STATEMENT_PATH, ok={200: Reply("Le relevé.", Statement)}, errors=(401, 404)))
def get_statement_endpoint(statement_id: int) -> Statement:
    """One statement in the caller's scope; 404 otherwise."""
    return Statement.from_model(queries.get_statement(current_user, statement_id))


@bp.get(f"/statements/{STATEMENT_ID}/pdf")
@api_endpoint
@contract(Operation(
    "getStatementPdf", "Télécharger le relevé en PDF", "statements",
    description="Gestionnaires du département payeur, administrateurs, agents du lieu ; 404 "
                "pour tout autre.",
    path=STATEMENT_PATH,
    ok={200: Reply("Le relevé en PDF (A4) : lignes, régularisations et totaux.",
                   media_type="application/pdf")},
    errors=(401, 404)))
def statement_pdf_endpoint(statement_id: int) -> Response:
    """The statement as a PDF, in the caller's scope; 404 otherwise."""
    return statement_pdf(queries.get_statement(current_user, statement_id))

"""JSON API: create and read beneficiaries (``/api/v1/beneficiaries``)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from passnum.api import bp
from passnum.api.edge import api_endpoint
from passnum.api.schema import Field, id_field, iso_date, iso_datetime, parse_body
from passnum.beneficiaries.export import export_json
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.queries import get_beneficiary
from passnum.beneficiaries.services import (
    create_beneficiary,
    export_beneficiary,
    override_duplicate,
)

# Shape only: the service checks meaning (and presence, with its French messages).
CREATE_FIELDS = {
    "first_name": Field(str, max_length=80),
    "last_name": Field(str, max_length=80),
    "birth_date": Field(str, pattern=r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4}"),
    "postal_code": Field(str, pattern=r"[0-9]{5}"),
    "phone": Field(str, nullable=True, max_length=20),
    "email": Field(str, nullable=True, max_length=254),
    "need": Field(str, nullable=True, max_length=1000),
    "consent": Field(bool),
    "structure_id": id_field(nullable=True),
}

OVERRIDE_FIELDS = {"reason": Field(str, required=True, max_length=500)}


def beneficiary_json(beneficiary: Beneficiary) -> dict[str, Any]:
    """The beneficiary as the API shows it (only to actors whose scope includes it)."""
    return {
        "id": beneficiary.id,
        "first_name": beneficiary.first_name,
        "last_name": beneficiary.last_name,
        "birth_date": iso_date(beneficiary.birth_date),
        "postal_code": beneficiary.postal_code,
        "phone": beneficiary.phone,
        "email": beneficiary.email,
        "need": beneficiary.need,
        "structure_id": beneficiary.structure_id,
        "consent_at": iso_datetime(beneficiary.consent_at),
        "created_at": iso_datetime(beneficiary.created_at),
    }


@bp.post("/beneficiaries")
@api_endpoint(person_field="id")
def create_beneficiary_endpoint() -> tuple[dict[str, Any], int]:
    """Record a consenting beneficiary in the issuer's structure (admins name one)."""
    data = parse_body(CREATE_FIELDS)
    structure_id = data.pop("structure_id", None)
    beneficiary = create_beneficiary(current_user, data, structure_id=structure_id)
    return beneficiary_json(beneficiary), 201


@bp.get("/beneficiaries/<id:beneficiary_id>")
@api_endpoint
def get_beneficiary_endpoint(beneficiary_id: int) -> dict[str, Any]:
    """One beneficiary in the caller's scope; 404 otherwise."""
    return beneficiary_json(get_beneficiary(current_user, beneficiary_id))


@bp.post("/beneficiaries/<id:beneficiary_id>/duplicate-override")
@api_endpoint
def override_duplicate_endpoint(beneficiary_id: int) -> dict[str, Any]:
    """A manager sets a likely duplicate aside, with a reason; 404 out of scope."""
    data = parse_body(OVERRIDE_FIELDS)
    beneficiary = get_beneficiary(current_user, beneficiary_id)
    return beneficiary_json(override_duplicate(current_user, beneficiary,
                                               reason=data["reason"]))


@bp.post("/beneficiaries/<id:beneficiary_id>/export")
@api_endpoint
def export_beneficiary_endpoint(beneficiary_id: int) -> dict[str, Any]:
    """Subject-access export (audited, hence a POST); 404 out of scope, 422 once
    pseudonymised."""
    return export_json(export_beneficiary(current_user, beneficiary_id, fmt="json"))


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """A closed JSON object whose every property is required."""
    return {"type": "object", "required": list(properties), "additionalProperties": False,
            "properties": properties}


def export_schema() -> dict[str, Any]:
    """OpenAPI schema of the subject-access export (``POST …/beneficiaries/{id}/export``)."""
    text, count = {"type": "string"}, {"type": "integer", "minimum": 0}
    day, instant = {"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}

    def maybe(schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` that may also be null."""
        return {**schema, "type": [schema["type"], "null"]}

    voucher = _object({"serial": text, "status": text, "value_cents": count,
                       "expires_on": day, "redeemed_at": maybe(instant), "venue": maybe(text)})
    booklet = _object({
        "number": text, "programme": text, "status": text, "valid_from": day,
        "expires_on": day, "issued_at": instant, "handed_out_at": maybe(instant),
        "revoked_at": maybe(instant), "revoke_reason": maybe(text),
        "revoke_note": maybe(text), "duplicate_override_reason": maybe(text),
        "vouchers": {"type": "array", "items": voucher},
    })
    event = _object({"at": instant, "action": text, "label": text,
                     "object_type": text, "object_id": text})
    return {
        **_object({
            "generated_at": instant,
            "beneficiary": _object({
                "id": count, "first_name": text, "last_name": text, "birth_date": maybe(day),
                "postal_code": text, "phone": maybe(text), "email": maybe(text),
                "need": text, "duplicate_override_reason": maybe(text),
                "eligibility_override_reason": maybe(text),
                "created_at": instant}),
            "consent": _object({"given_at": instant, "text_version": text,
                                "text": maybe(text)}),
            "structure": _object({"id": count, "name": text, "departement": text}),
            "booklets": {"type": "array", "items": booklet},
            "events": {"type": "array", "items": event,
                       "description": "Opérations sur la fiche, ses chéquiers et leurs "
                                      "encaissements : action et date seulement."},
        }),
        "description": "Toutes les données conservées sur la personne (droit d'accès).",
    }

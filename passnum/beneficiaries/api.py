"""JSON API: create and read beneficiaries (``/api/v1/beneficiaries``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from flask_login import current_user
from pydantic import ConfigDict, Field, PlainSerializer, WithJsonSchema

from passnum.api import bp
from passnum.api.contract import Operation, Reply, contract
from passnum.api.edge import api_endpoint
from passnum.api.schema import (
    ABSENT,
    STORABLE,
    Count,
    Id,
    Instant,
    RequestModel,
    ResponseModel,
)
from passnum.beneficiaries import models
from passnum.beneficiaries.queries import get_beneficiary
from passnum.beneficiaries.services import (
    create_beneficiary,
    export_beneficiary,
    override_duplicate,
)

BENEFICIARY_ID = {"beneficiary_id": "Identifiant du bénéficiaire."}


class BeneficiaryCreate(RequestModel):
    """A consenting person. Shape only: the service checks meaning, and presence with
    its own French messages (hence the documented ``required`` fields are optional here)."""

    documented_required: ClassVar[tuple[str, ...]] = (
        "first_name", "last_name", "birth_date", "postal_code", "consent")

    first_name: Annotated[str, Field(max_length=80), STORABLE] = Field(
        ABSENT, json_schema_extra={"minLength": 1})
    last_name: Annotated[str, Field(max_length=80), STORABLE] = Field(
        ABSENT, json_schema_extra={"minLength": 1})
    birth_date: Annotated[str, Field(
        pattern=r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4})$"), STORABLE
    ] = Field(ABSENT, description="AAAA-MM-JJ ou JJ/MM/AAAA.")
    postal_code: Annotated[str, Field(pattern=r"^(?:[0-9]{5})$"), STORABLE] = ABSENT
    phone: Annotated[str, Field(max_length=20), STORABLE] | None = None
    email: Annotated[str, Field(max_length=254), STORABLE] | None = None
    need: Annotated[str, Field(max_length=1000), STORABLE] | None = None
    consent: bool = Field(ABSENT, description="Consentement de la personne (obligatoire).",
                          json_schema_extra={"const": True})
    structure_id: Id | None = Field(
        None, description="Administrateurs seulement ; ignoré pour les travailleurs sociaux "
                          "(leur structure).")


class DuplicateOverride(RequestModel):
    """Why the person is not the one of the booklet already issued."""

    reason: Annotated[str, Field(max_length=500), STORABLE] = Field(
        description="Pourquoi la personne n'est pas celle du chéquier déjà émis.")


class Beneficiary(ResponseModel):
    """The beneficiary as the API shows it (only to actors whose scope includes it)."""

    id: Id
    first_name: str
    last_name: str
    birth_date: date | None
    postal_code: str
    phone: str | None
    email: str | None
    need: str
    structure_id: Id
    consent_at: Instant
    created_at: Instant

    @classmethod
    def from_model(cls, beneficiary: models.Beneficiary) -> Beneficiary:
        """The answer for a stored beneficiary."""
        return cls.model_validate(beneficiary, from_attributes=True)


# the export keeps each moment as stored (``datetime.isoformat``), like its download
Stored = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str),
                   WithJsonSchema({"type": "string", "format": "date-time"})]


class ExportedVoucher(ResponseModel):
    serial: str
    status: str
    value_cents: Count
    expires_on: date
    redeemed_at: Stored | None
    venue: str | None


class ExportedBooklet(ResponseModel):
    number: str
    programme: str
    status: str
    valid_from: date
    expires_on: date
    issued_at: Stored
    handed_out_at: Stored | None
    revoked_at: Stored | None
    revoke_reason: str | None
    revoke_note: str | None
    duplicate_override_reason: str | None
    vouchers: list[ExportedVoucher]


class ExportedPriorityPublic(ResponseModel):
    code: str
    label: str


class ExportedPerson(ResponseModel):
    id: Count
    first_name: str
    last_name: str
    birth_date: date | None
    postal_code: str
    phone: str | None
    email: str | None
    need: str
    duplicate_override_reason: str | None
    eligibility_override_reason: str | None
    created_at: Stored
    gender: str | None
    social_status: str | None
    commune_insee: str | None
    priority_area: str | None
    priority_publics: list[ExportedPriorityPublic]


class ExportedConsent(ResponseModel):
    given_at: Stored
    text_version: str
    text: str | None
    messages_given_at: Stored | None


class ExportedBooking(ResponseModel):
    workshop: str
    venue: str
    starts_at: Stored
    booked_at: Stored
    cancelled_at: Stored | None
    attended_at: Stored | None


class ExportedStructure(ResponseModel):
    id: Count
    name: str
    departement: str


class ExportedEvent(ResponseModel):
    at: Stored
    action: str
    label: str
    object_type: str
    object_id: str


class ExportedMessage(ResponseModel):
    kind: str
    channel: str
    status: str
    created_at: Stored
    sent_at: Stored | None


class BeneficiaryExport(ResponseModel):
    """Everything kept about the person (subject-access right)."""

    model_config = ConfigDict(json_schema_extra={
        "description": "Toutes les données conservées sur la personne (droit d'accès)."})

    generated_at: Stored
    beneficiary: ExportedPerson
    consent: ExportedConsent
    structure: ExportedStructure
    booklets: list[ExportedBooklet]
    bookings: list[ExportedBooking]
    events: list[ExportedEvent] = Field(
        description="Opérations sur la fiche, ses chéquiers et leurs encaissements : "
                    "action et date seulement.")
    messages: list[ExportedMessage] = Field(
        description="Messages envoyés à la personne (e-mail, SMS) : nature, moyen, dates "
                    "et état, sans leur texte.")

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> BeneficiaryExport:
        """The answer for ``beneficiaries.export.subject_access_data``."""
        return cls.model_validate(data)


@bp.post("/beneficiaries")
@api_endpoint(person_field="id")
@contract(Operation(
    "createBeneficiary", "Enregistrer un bénéficiaire", "beneficiaries",
    body=BeneficiaryCreate, ok={201: Reply("Bénéficiaire enregistré.", Beneficiary)},
    errors=(400, 401, 403, 409, 422)))
def create_beneficiary_endpoint(body: BeneficiaryCreate) -> tuple[Beneficiary, int]:
    """Record a consenting beneficiary in the issuer's structure (admins name one)."""
    data = body.model_dump(exclude_unset=True, exclude={"structure_id"})
    beneficiary = create_beneficiary(current_user, data, structure_id=body.structure_id)
    return Beneficiary.from_model(beneficiary), 201


@bp.get("/beneficiaries/<id:beneficiary_id>")
@api_endpoint
@contract(Operation(
    "getBeneficiary", "Lire un bénéficiaire", "beneficiaries", path=BENEFICIARY_ID,
    ok={200: Reply("Le bénéficiaire.", Beneficiary)}, errors=(401, 404)))
def get_beneficiary_endpoint(beneficiary_id: int) -> Beneficiary:
    """One beneficiary in the caller's scope; 404 otherwise."""
    return Beneficiary.from_model(get_beneficiary(current_user, beneficiary_id))


@bp.post("/beneficiaries/<id:beneficiary_id>/duplicate-override")
@api_endpoint
@contract(Operation(
    "overrideDuplicate", "Écarter un doublon probable", "beneficiaries",
    description="Gestionnaires du département et administrateurs : la personne n'est pas "
                "celle d'un chéquier déjà émis ; sa structure pourra alors émettre ou "
                "remettre son chéquier. Journalisé.",
    path=BENEFICIARY_ID, body=DuplicateOverride, ok={200: Reply("Doublon écarté.", Beneficiary)},
    errors=(400, 401, 403, 404)))
def override_duplicate_endpoint(beneficiary_id: int, body: DuplicateOverride) -> Beneficiary:
    """A manager sets a likely duplicate aside, with a reason; 404 out of scope."""
    beneficiary = get_beneficiary(current_user, beneficiary_id)
    return Beneficiary.from_model(override_duplicate(current_user, beneficiary,
                                                     reason=body.reason))


@bp.post("/beneficiaries/<id:beneficiary_id>/export")
@api_endpoint
@contract(Operation(
    "exportBeneficiary", "Exporter les données d'un bénéficiaire (droit d'accès)",
    "beneficiaries",
    description="Identité, coordonnées, besoin, consentement (date, version, texte), "
                "structure, chéquiers, chèques et opérations. Travailleurs sociaux de la "
                "structure, gestionnaires du département, administrateurs ; 404 pour tout "
                "autre. Chaque export est journalisé (d'où un POST). 422 "
                "beneficiary_pseudonymised : fiche anonymisée, plus rien à exporter.",
    path=BENEFICIARY_ID, ok={200: Reply("Les données de la personne.", BeneficiaryExport)},
    errors=(401, 404, 422)))
def export_beneficiary_endpoint(beneficiary_id: int) -> BeneficiaryExport:
    """Subject-access export (audited, hence a POST); 404 out of scope, 422 once
    pseudonymised."""
    return BeneficiaryExport.from_data(
        export_beneficiary(current_user, beneficiary_id, fmt="json"))

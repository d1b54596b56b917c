"""JSON API: issue, read, print, revoke and replace booklets (``/api/v1/booklets``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from flask import Response, request
from flask_login import current_user
from pydantic import Field

from passnum.api import bp
from passnum.api.contract import Operation, Reply, contract
from passnum.api.edge import api_endpoint
from passnum.api.schema import STORABLE, Cents, Id, Instant, RequestModel, ResponseModel
from passnum.beneficiaries.queries import get_beneficiary
from passnum.booklets import models, queries
from passnum.booklets.models import RevokeReason
from passnum.booklets.printing import booklet_download
from passnum.booklets.services import (
    issue_booklet,
    issue_replacement,
    record_print,
    revoke_booklet,
)
from passnum.core.codes import group
from passnum.core.signing import sign_serial, voucher_url

BOOKLET_ID = "<id:booklet_id>"
BookletState = Literal["in_stock", "handed_out", "started", "finished", "revoked", "expired"]
VoucherState = Literal["issued", "redeemed", "revoked", "expired", "not_activated"]
BOOKLET_ERRORS = (400, 401, 403, 404, 409, 422)


class BookletCreate(RequestModel):
    """The beneficiary whose booklet to issue."""

    beneficiary_id: Id
    override_reason: Annotated[str, Field(max_length=500), STORABLE] | None = Field(
        None, description="Administrateurs : motif pour émettre malgré un doublon probable "
                          "(un gestionnaire l'écarte sur la fiche de la personne).")


class BookletRevoke(RequestModel):
    """Why the booklet is revoked (the service checks the reason)."""

    reason: Annotated[str, Field(max_length=20), STORABLE] = Field(
        json_schema_extra={"enum": [reason.value for reason in RevokeReason]})
    note: Annotated[str, Field(max_length=500), STORABLE] | None = None


class BookletReplace(RequestModel):
    """Nothing to choose: a replacement carries exactly what the revocation revoked."""


class Voucher(ResponseModel):
    """One voucher with what is printed on it: serial, manual code, QR link."""

    serial: str
    manual_code: str = Field(pattern=r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){2}$")
    url: str = Field(json_schema_extra={"format": "uri"})
    value_cents: Cents
    status: VoucherState
    expires_on: date

    @classmethod
    def from_model(cls, voucher: models.Voucher) -> Voucher:
        """The answer for a stored voucher."""
        return cls.model_validate({
            "serial": voucher.serial, "manual_code": group(voucher.manual_code),
            "url": voucher_url(sign_serial(voucher.serial)),
            "value_cents": voucher.value_cents, "status": queries.voucher_state(voucher),
            "expires_on": voucher.booklet.expires_on})


class Booklet(ResponseModel):
    """The booklet, its derived state and its vouchers."""

    id: Id
    number: str
    status: BookletState
    programme_id: Id
    structure_id: Id
    departement: str = Field(description="Code du département payeur.")
    beneficiary_id: Id | None
    valid_from: date
    expires_on: date
    issued_at: Instant
    revoked_at: Instant | None
    revoke_reason: RevokeReason | None
    replaces_booklet_id: Id | None = Field(
        description="Chéquier perdu ou volé dont celui-ci reprend les chèques.")
    vouchers: list[Voucher]

    @classmethod
    def from_model(cls, booklet: models.Booklet) -> Booklet:
        """The answer for a stored booklet."""
        return cls.model_validate({
            "id": booklet.id, "number": booklet.number,
            "status": queries.booklet_state(booklet), "programme_id": booklet.programme_id,
            "structure_id": booklet.structure_id, "departement": booklet.departement.code,
            "beneficiary_id": booklet.beneficiary_id, "valid_from": booklet.valid_from,
            "expires_on": booklet.expires_on, "issued_at": booklet.issued_at,
            "revoked_at": booklet.revoked_at, "revoke_reason": booklet.revoke_reason,
            "replaces_booklet_id": booklet.replaces_booklet_id,
            "vouchers": [Voucher.from_model(v) for v in booklet.vouchers]})


BOOKLET_PATH = {"booklet_id": "Identifiant du chéquier."}
BOOKLET_PDF = Reply("Le chéquier en PDF (A4).", media_type="application/pdf")


@bp.post("/booklets")
@api_endpoint(person_field="beneficiary_id")
@contract(Operation(
    "issueBooklet", "Émettre le chéquier d'un bénéficiaire", "booklets", body=BookletCreate,
    ok={201: Reply("Chéquier émis.", Booklet)}, errors=BOOKLET_ERRORS))
def issue_booklet_endpoint(body: BookletCreate) -> tuple[Booklet, int]:
    """Issue the booklet of a beneficiary in scope (managers may override a duplicate)."""
    beneficiary = get_beneficiary(current_user, body.beneficiary_id)
    booklet = issue_booklet(current_user, beneficiary, override_reason=body.override_reason)
    return Booklet.from_model(booklet), 201


@bp.get(f"/booklets/{BOOKLET_ID}")
@api_endpoint
@contract(Operation(
    "getBooklet", "Lire un chéquier", "booklets", path=BOOKLET_PATH,
    ok={200: Reply("Le chéquier.", Booklet)}, errors=(401, 404)))
def get_booklet_endpoint(booklet_id: int) -> Booklet:
    """One booklet in the caller's scope; 404 otherwise."""
    return Booklet.from_model(queries.get_booklet(current_user, booklet_id))


@bp.route(f"/booklets/{BOOKLET_ID}/pdf", methods=["GET", "POST"])
@api_endpoint
@contract(
    Operation("getBookletPdf", "Lire le PDF du chéquier", "booklets", method="get",
              description="Une lecture : ne compte pas d'impression, ne change rien.",
              path=BOOKLET_PATH, ok={200: BOOKLET_PDF}, errors=(401, 404)),
    Operation("printBookletPdf", "Imprimer le chéquier", "booklets", method="post",
              description="Le PDF à imprimer ; l'impression est comptée et journalisée.",
              path=BOOKLET_PATH, ok={200: BOOKLET_PDF}, errors=(401, 404)),
)
def booklet_pdf_endpoint(booklet_id: int) -> Response:
    """The printable booklet. GET reads it and changes nothing; POST prints it (counted
    and audited, only if the PDF was made)."""
    booklet = queries.get_booklet(current_user, booklet_id)
    if request.method == "POST":
        record_print(current_user, booklet)
    return booklet_download(booklet)


@bp.post(f"/booklets/{BOOKLET_ID}/revoke")
@api_endpoint(person_field="beneficiary_id")
@contract(Operation(
    "revokeBooklet", "Déclarer un chéquier perdu, volé ou annulé", "booklets",
    path=BOOKLET_PATH, body=BookletRevoke, ok={200: Reply("Chéquier révoqué.", Booklet)},
    errors=BOOKLET_ERRORS))
def revoke_booklet_endpoint(booklet_id: int, body: BookletRevoke) -> Booklet:
    """Declare a booklet lost, stolen or cancelled; its unused vouchers are revoked."""
    booklet = queries.get_booklet(current_user, booklet_id)
    revoke_booklet(current_user, booklet, reason=body.reason, note=body.note or "")
    return Booklet.from_model(booklet)


@bp.post(f"/booklets/{BOOKLET_ID}/replace")
@api_endpoint
@contract(Operation(
    "replaceBooklet", "Remplacer un chéquier perdu ou volé", "booklets",
    description="Le remplaçant reprend exactement les chèques annulés par la révocation "
                "(mêmes valeurs, même fin de validité), une seule fois, sans compter de "
                "nouveau dans les quotas. Motifs de refus : not_revoked, already_replaced, "
                "nothing_to_replace (tous les chèques avaient été utilisés), "
                "booklet_expired, programme_closed.",
    path={"booklet_id": "Identifiant du chéquier remplacé."}, body=BookletReplace,
    ok={201: Reply("Chéquier de remplacement émis.", Booklet)}, errors=BOOKLET_ERRORS))
def replace_booklet_endpoint(booklet_id: int, body: BookletReplace) -> tuple[Booklet, int]:
    """Replace a lost or stolen booklet by exactly the vouchers its revocation revoked."""
    booklet = issue_replacement(current_user, queries.get_booklet(current_user, booklet_id))
    return Booklet.from_model(booklet), 201

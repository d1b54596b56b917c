"""JSON API: issue, read, print, revoke and replace booklets (``/api/v1/booklets``)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_login import current_user

from passnum.api import bp
from passnum.api.edge import api_endpoint
from passnum.api.schema import Field, id_field, iso_date, iso_datetime, parse_body
from passnum.beneficiaries.queries import get_beneficiary
from passnum.booklets import queries
from passnum.booklets.models import Booklet, Voucher
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
ISSUE_FIELDS = {
    "beneficiary_id": id_field(required=True),
    "override_reason": Field(str, nullable=True, max_length=500),
}
REVOKE_FIELDS = {
    "reason": Field(str, required=True, max_length=20),
    "note": Field(str, nullable=True, max_length=500),
}

# nothing to choose: a replacement carries exactly what the revocation revoked
REPLACE_FIELDS: dict[str, Field] = {}


def voucher_json(voucher: Voucher) -> dict[str, Any]:
    """One voucher with what is printed on it: serial, manual code, QR link."""
    return {
        "serial": voucher.serial,
        "manual_code": group(voucher.manual_code),
        "url": voucher_url(sign_serial(voucher.serial)),
        "value_cents": voucher.value_cents,
        "status": queries.voucher_state(voucher),
        "expires_on": iso_date(voucher.booklet.expires_on),
    }


def booklet_json(booklet: Booklet) -> dict[str, Any]:
    """The booklet, its derived state and its vouchers."""
    return {
        "id": booklet.id,
        "number": booklet.number,
        "status": queries.booklet_state(booklet),
        "programme_id": booklet.programme_id,
        "structure_id": booklet.structure_id,
        "departement": booklet.departement.code,
        "beneficiary_id": booklet.beneficiary_id,
        "valid_from": iso_date(booklet.valid_from),
        "expires_on": iso_date(booklet.expires_on),
        "issued_at": iso_datetime(booklet.issued_at),
        "revoked_at": iso_datetime(booklet.revoked_at),
        "revoke_reason": booklet.revoke_reason,
        "replaces_booklet_id": booklet.replaces_booklet_id,
        "vouchers": [voucher_json(v) for v in booklet.vouchers],
    }


@bp.post("/booklets")
@api_endpoint(person_field="beneficiary_id")
def issue_booklet_endpoint() -> tuple[dict[str, Any], int]:
    """Issue the booklet of a beneficiary in scope (managers may override a duplicate)."""
    data = parse_body(ISSUE_FIELDS)
    beneficiary = get_beneficiary(current_user, data["beneficiary_id"])
    booklet = issue_booklet(current_user, beneficiary,
                            override_reason=data.get("override_reason"))
    return booklet_json(booklet), 201


@bp.get(f"/booklets/{BOOKLET_ID}")
@api_endpoint
def get_booklet_endpoint(booklet_id: int) -> dict[str, Any]:
    """One booklet in the caller's scope; 404 otherwise."""
    return booklet_json(queries.get_booklet(current_user, booklet_id))


@bp.route(f"/booklets/{BOOKLET_ID}/pdf", methods=["GET", "POST"])
@api_endpoint
def booklet_pdf_endpoint(booklet_id: int) -> Response:
    """The printable booklet. GET reads it and changes nothing; POST prints it (counted
    and audited, only if the PDF was made)."""
    booklet = queries.get_booklet(current_user, booklet_id)
    if request.method == "POST":
        record_print(current_user, booklet)
    return booklet_download(booklet)


@bp.post(f"/booklets/{BOOKLET_ID}/revoke")
@api_endpoint(person_field="beneficiary_id")
def revoke_booklet_endpoint(booklet_id: int) -> dict[str, Any]:
    """Declare a booklet lost, stolen or cancelled; its unused vouchers are revoked."""
    data = parse_body(REVOKE_FIELDS)
    booklet = queries.get_booklet(current_user, booklet_id)
    revoke_booklet(current_user, booklet, reason=data["reason"], note=data.get("note") or "")
    return booklet_json(booklet)


@bp.post(f"/booklets/{BOOKLET_ID}/replace")
@api_endpoint
def replace_booklet_endpoint(booklet_id: int) -> tuple[dict[str, Any], int]:
    """Replace a lost or stolen booklet by exactly the vouchers its revocation revoked."""
    parse_body(REPLACE_FIELDS)
    booklet = issue_replacement(current_user, queries.get_booklet(current_user, booklet_id))
    return booklet_json(booklet), 201

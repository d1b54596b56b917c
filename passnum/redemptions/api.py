"""JSON API: check vouchers, redeem them, undo a redemption."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from passnum.api import bp
from passnum.api.edge import IDEMPOTENCY_HEADER, REPLAYED_HEADER, api_endpoint
from passnum.api.schema import Field, id_field, iso_date, iso_datetime, parse_body
from passnum.booklets.queries import voucher_state
from passnum.core.ratelimit import limit_code_checks
from passnum.errors import InvalidInput, NotFound
from passnum.extensions import db
from passnum.redemptions.repository import RedemptionResult
from passnum.redemptions.services import MAX_BASKET, VoucherCheck, check, redeem, undo
from passnum.venues.models import Venue, Workshop


def voucher_check_json(result: VoucherCheck) -> dict[str, Any]:
    """A voucher's public status: nothing about its beneficiary."""
    voucher = result.voucher
    return {
        "serial": voucher.serial,
        "value_cents": voucher.value_cents,
        "status": voucher_state(voucher),
        "valid": result.is_valid,
        "reason": result.reason,
        "message": result.message,
        "expires_on": iso_date(voucher.booklet.expires_on),
        "booklet_number": voucher.booklet.number,
    }


@bp.get("/vouchers/check")
@limit_code_checks
@api_endpoint
def check_voucher_endpoint() -> dict[str, Any]:
    """Check a QR link, bare token or manual code; forged codes are refused and audited."""
    code = request.args.get("code")
    if code is None:
        raise InvalidInput("Indiquez le code du chèque (paramètre « code »).",
                           code="missing_field", field="code")
    result = check(code, actor_id=current_user.id, channel="api", ip=request.remote_addr)
    return voucher_check_json(result)


REDEEM_FIELDS = {
    "codes": Field(list, required=True, max_length=MAX_BASKET, items=Field(str, max_length=300)),
    "workshop_id": id_field(nullable=True),
}


def redemption_json(redemption: RedemptionResult) -> dict[str, Any]:
    """A redemption and the serials it took (nothing about beneficiaries)."""
    return {
        "id": redemption.id,
        "venue_id": redemption.venue_id,
        "workshop_id": redemption.workshop_id,
        "redeemed_at": iso_datetime(redemption.redeemed_at),
        "undone_at": iso_datetime(redemption.undone_at),
        "total_cents": redemption.total_cents,
        "vouchers": [{"serial": line.serial, "value_cents": line.value_cents}
                     for line in redemption.lines],
    }


def _actor_venue() -> Venue:
    """The caller's venue (the route's policy lets only venue agents in; the service
    checks that they redeem for it)."""
    return db.session.get_one(Venue, current_user.venue_id)


@bp.post("/redemptions")
@limit_code_checks
@api_endpoint(replays_itself=True)
def redeem_endpoint() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Redeem vouchers at the caller's venue, all or nothing; a retry with the same
    Idempotency-Key gets the first answer back (``Idempotent-Replayed: true``)."""
    data = parse_body(REDEEM_FIELDS)
    venue = _actor_venue()
    workshop = None
    if data.get("workshop_id") is not None:
        workshop = db.session.get(Workshop, data["workshop_id"])
        if workshop is None or workshop.venue_id != venue.id:
            raise NotFound("Atelier introuvable.")
    redemption = redeem(data["codes"], venue=venue, workshop=workshop, actor=current_user,
                        channel="api", idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
                        ip=request.remote_addr)
    return (redemption_json(redemption), 201,
            {REPLAYED_HEADER: "true"} if redemption.replayed else {})


@bp.delete("/redemptions/<id:redemption_id>")
@api_endpoint
def undo_endpoint(redemption_id: int) -> dict[str, Any]:
    """Undo a redemption made by mistake within 24 hours."""
    return redemption_json(undo(redemption_id, actor=current_user, ip=request.remote_addr))

"""JSON API: check vouchers, redeem them, undo a redemption."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from flask import request
from flask_login import current_user
from pydantic import Field

from passnum.api import bp
from passnum.api.contract import Operation, Reply, contract
from passnum.api.edge import IDEMPOTENCY_HEADER, REPLAYED_HEADER, api_endpoint
from passnum.api.schema import (
    STORABLE,
    Cents,
    Id,
    Instant,
    QueryModel,
    RequestModel,
    ResponseModel,
)
from passnum.booklets.api import VoucherState
from passnum.booklets.queries import voucher_state
from passnum.core.ratelimit import limit_code_checks
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.redemptions import services
from passnum.redemptions.repository import RedemptionResult
from passnum.redemptions.services import MAX_BASKET, check, redeem, undo
from passnum.venues.models import Venue, Workshop


class CheckQuery(QueryModel):
    """The code to check."""

    missing_messages: ClassVar[dict[str, str]] = {
        "code": "Indiquez le code du chèque (paramètre « code »)."}
    code: str = Field(
        description="Lien du QR code, jeton seul ou code manuel (K7M2-9QXP-4TJ6).")


class VoucherCheck(ResponseModel):
    """A voucher's public status: nothing about its beneficiary."""

    serial: str
    value_cents: Cents
    status: VoucherState
    valid: bool
    reason: str | None = Field(
        description="Motif du refus (already_redeemed, voucher_revoked, not_activated, "
                    "programme_closed, not_yet_valid, voucher_expired…), null si le chèque "
                    "est valable.")
    message: str
    expires_on: date
    booklet_number: str

    @classmethod
    def from_check(cls, result: services.VoucherCheck) -> VoucherCheck:
        """The answer for a checked voucher."""
        voucher = result.voucher
        return cls.model_validate({
            "serial": voucher.serial, "value_cents": voucher.value_cents,
            "status": voucher_state(voucher), "valid": result.is_valid,
            "reason": result.reason, "message": result.message,
            "expires_on": voucher.booklet.expires_on,
            "booklet_number": voucher.booklet.number})


class RedemptionCreate(RequestModel):
    """The codes to redeem together, and the workshop they pay for, if any."""

    codes: Annotated[list[Annotated[str, Field(max_length=300), STORABLE]],
                     Field(min_length=1, max_length=MAX_BASKET)] = Field(
        description="Liens des QR codes, jetons ou codes manuels : tous sont encaissés, "
                    "ou aucun.")
    workshop_id: Id | None = Field(
        None, description="Atelier du lieu ; son prix en chèques doit correspondre au "
                          "nombre de codes.")


class RedeemedVoucher(ResponseModel):
    """One voucher taken by a redemption."""

    serial: str
    value_cents: Cents


class Redemption(ResponseModel):
    """A redemption and the serials it took (nothing about beneficiaries)."""

    id: Id
    venue_id: Id
    workshop_id: Id | None
    redeemed_at: Instant
    undone_at: Instant | None
    total_cents: Cents
    vouchers: list[RedeemedVoucher] = Field(validation_alias="lines")

    @classmethod
    def from_result(cls, result: RedemptionResult) -> Redemption:
        """The answer for what ``redeem`` or ``undo`` returned."""
        return cls.model_validate(result, from_attributes=True)


@bp.get("/vouchers/check")
@limit_code_checks
@api_endpoint
@contract(Operation(
    "checkVoucher", "Vérifier un chèque sans le modifier", "vouchers", query=CheckQuery,
    ok={200: Reply("État du chèque.", VoucherCheck)}, errors=(400, 401, 404, 429)))
def check_voucher_endpoint(query: CheckQuery) -> VoucherCheck:
    """Check a QR link, bare token or manual code; forged codes are refused and audited."""
    result = check(query.code, actor_id=current_user.id, channel="api",
                   ip=request.remote_addr)
    return VoucherCheck.from_check(result)


def _actor_venue() -> Venue:
    """The caller's venue (the route's policy lets only venue agents in; the service
    checks that they redeem for it)."""
    return db.session.get_one(Venue, current_user.venue_id)


@bp.post("/redemptions")
@limit_code_checks
@api_endpoint(replays_itself=True)
@contract(Operation(
    "redeemVouchers", "Encaisser des chèques (tous ou aucun), pour un atelier ou non",
    "redemptions", body=RedemptionCreate,
    description="Refus : invalid_code, unknown_code, duplicate_code (400/404), "
                "already_redeemed (409), voucher_revoked, voucher_expired, not_yet_valid, "
                "not_activated, programme_closed, venue_not_active, workshop_full, "
                "workshop_past, workshop_cancelled, wrong_voucher_count (422) ; "
                "details.vouchers donne le verdict de chaque code.",
    ok={201: Reply("Chèques encaissés.", Redemption)},
    errors=(400, 401, 403, 404, 409, 422, 429)))
def redeem_endpoint(body: RedemptionCreate) -> tuple[Redemption, int, dict[str, str]]:
    """Redeem vouchers at the caller's venue, all or nothing; a retry with the same
    Idempotency-Key gets the first answer back (``Idempotent-Replayed: true``)."""
    venue = _actor_venue()
    workshop = None
    if body.workshop_id is not None:
        workshop = db.session.get(Workshop, body.workshop_id)
        if workshop is None or workshop.venue_id != venue.id:
            raise NotFound("Atelier introuvable.")
    redemption = redeem(body.codes, venue=venue, workshop=workshop, actor=current_user,
                        channel="api", idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
                        ip=request.remote_addr)
    return (Redemption.from_result(redemption), 201,
            {REPLAYED_HEADER: "true"} if redemption.replayed else {})


@bp.delete("/redemptions/<id:redemption_id>")
@api_endpoint
@contract(Operation(
    "undoRedemption", "Annuler un encaissement fait par erreur (sous 24 heures)",
    "redemptions", path={"redemption_id": "Identifiant de l'encaissement."},
    ok={200: Reply("Encaissement annulé.", Redemption)}, errors=(401, 403, 404, 409, 422)))
def undo_endpoint(redemption_id: int) -> Redemption:
    """Undo a redemption made by mistake within 24 hours."""
    return Redemption.from_result(undo(redemption_id, actor=current_user, ip=request.remote_addr))

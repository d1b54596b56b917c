"""JSON API: check a voucher without changing it (``/api/v1/vouchers/check``)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from passnum.api import bp
from passnum.api.edge import api_endpoint
from passnum.api.schema import iso_date
from passnum.booklets.queries import voucher_state
from passnum.core.ratelimit import limit_code_checks
from passnum.errors import InvalidInput
from passnum.redemptions.services import VoucherCheck, check


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

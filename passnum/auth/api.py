"""JSON API: exchange credentials for a bearer token (``/api/v1/tokens``)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from passnum.api import bp
from passnum.api.edge import api_endpoint
from passnum.api.schema import Field, iso_datetime, parse_body
from passnum.auth.services import authenticate, issue_api_token

TOKEN_FIELDS = {
    "email": Field(str, required=True, max_length=254),
    "password": Field(str, required=True, max_length=1024),
    "totp": Field(str, max_length=12),
}


@bp.post("/tokens")
@api_endpoint(public=True)
def create_token_endpoint() -> tuple[dict[str, Any], int]:
    """Return a bearer token for valid credentials (and, for administrators and
    managers, the authenticator app's code); failures are audited (401) and counted
    (``auth.throttle``: 429 ``too_many_attempts`` past the budget)."""
    data = parse_body(TOKEN_FIELDS)
    user = authenticate(data["email"], data["password"], ip=request.remote_addr,
                        totp=data.get("totp"))
    token, expires_at = issue_api_token(user, hours=current_app.config["API_TOKEN_HOURS"])
    return {"token": token, "expires_at": iso_datetime(expires_at)}, 201

"""JSON API: exchange credentials for a bearer token (``/api/v1/tokens``)."""

from __future__ import annotations

from typing import Annotated

from flask import current_app, request
from pydantic import Field

from passnum.api import bp
from passnum.api.contract import Operation, Reply, contract
from passnum.api.edge import api_endpoint
from passnum.api.schema import ABSENT, STORABLE, Instant, RequestModel, ResponseModel
from passnum.auth.services import authenticate, issue_api_token


class TokenRequest(RequestModel):
    """Credentials, and the authenticator app's code for administrators and managers."""

    email: Annotated[str, Field(max_length=254), STORABLE]
    password: Annotated[str, Field(max_length=1024), STORABLE]
    totp: Annotated[str, Field(max_length=12), STORABLE] = ABSENT


class Token(ResponseModel):
    """A bearer token and when it stops working."""

    token: str
    expires_at: Instant


@bp.post("/tokens")
@api_endpoint(public=True)
@contract(Operation(
    "createToken", "Obtenir un jeton d'API", "auth", body=TokenRequest,
    description="403 venue_not_approved : le label du lieu n'est pas encore accordé, son "
                "compte ne fonctionne pas encore.",
    ok={201: Reply("Jeton créé.", Token)}, errors=(400, 401, 403, 429)))
def create_token_endpoint(body: TokenRequest) -> tuple[Token, int]:
    """Return a bearer token for valid credentials (and, for administrators and
    managers, the authenticator app's code); failures are audited (401) and counted
    (``auth.throttle``: 429 ``too_many_attempts`` past the budget)."""
    user = authenticate(body.email, body.password, ip=request.remote_addr, totp=body.totp)
    token, expires_at = issue_api_token(user, hours=current_app.config["API_TOKEN_HOURS"])
    return Token(token=token, expires_at=expires_at), 201

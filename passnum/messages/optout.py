"""Stopping messages: the link at the foot of every message to a beneficiary.

The link's token is signed with itsdangerous (HMAC, the application's secret key, a salt
of its own) and holds only the person's id and the link's purpose; it never expires, as
a message may be read months later. Following it withdraws the consent to messages
(``messages_consent_at``), nothing else: the person keeps their booklet and their record.
"""

from __future__ import annotations

from typing import Any, cast

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import CursorResult, delete, select

from passnum.audit.services import record
from passnum.beneficiaries.models import Beneficiary
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.messages.models import MessageStatus, OutboxMessage

SALT = "passnum.messages.stop.v1"
PURPOSE = "stop"
MAX_TOKEN_LENGTH = 200


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def stop_token(beneficiary_id: int) -> str:
    """The signed token of the person's stop link: ``[id, "stop"]`` and its MAC."""
    return str(_serializer().dumps([beneficiary_id, PURPOSE]))


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute address of a public page under ``BASE_URL``, built without a request
    (the jobs command has none)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return f"{current_app.config['BASE_URL'].rstrip('/')}{path}"


def stop_url(beneficiary_id: int) -> str:
    """The public stop link printed in every message to the person."""
    return public_url("messages_optout.stop", stop_token=stop_token(beneficiary_id))


def read_stop_token(token: str) -> int:
    """The person's id carried by a stop token. A forged, altered, truncated or
    malformed token raises ``NotFound`` (``invalid_link``), before any database read."""
    refused = NotFound("Ce lien n'est pas valide : il a peut-être été mal copié. Utilisez le "
                       "lien complet du message reçu.", code="invalid_link")
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise refused
    try:
        data = _serializer().loads(token)
    except BadData as err:
        raise refused from err
    if not (isinstance(data, list) and len(data) == 2 and data[1] == PURPOSE
            and isinstance(data[0], int) and not isinstance(data[0], bool) and data[0] > 0):
        raise refused
    return data[0]


def stop_messages(beneficiary_id: int) -> bool:
    """Withdraw the person's consent to messages; True when it was given until now.

    Messages to the person still waiting in the outbox are dropped with it; the later
    jobs queue none (they read the consent). Asking twice, or for a person since
    purged, changes nothing and answers alike, so the page tells nothing about the
    record. Audited as ``beneficiary.messages_stopped`` (ids only).
    """
    beneficiary = db.session.execute(
        select(Beneficiary).where(Beneficiary.id == beneficiary_id).with_for_update()
    ).scalar_one_or_none()
    if beneficiary is None or beneficiary.messages_consent_at is None:
        return False
    beneficiary.messages_consent_at = None
    # a DELETE's result is a CursorResult: Session.execute() is typed for any statement
    dropped = cast(CursorResult[Any], db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.beneficiary_id == beneficiary_id,
                                    OutboxMessage.status == MessageStatus.PENDING)
        .execution_options(synchronize_session=False)
    )).rowcount
    db.session.flush()
    record("beneficiary.messages_stopped", actor_id=None, object_type="beneficiary",
           object_id=beneficiary_id, details={"pending_dropped": dropped})
    return True

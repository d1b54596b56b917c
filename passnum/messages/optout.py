"""Stopping messages: the link at the foot of every message to a beneficiary.

The link carries an opaque code of the person's own (``messages_stop_code``, 128 random
bits from ``secrets``), written with the first message to them, in the same unit of
work; it names nothing and derives from nothing (no id, no signature to strip). It never
expires, as a message may be read months later. Following it withdraws the consent to
messages (``messages_consent_at``), nothing else: the person keeps their booklet and
their record.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, select, update

from passnum.audit.services import record
from passnum.beneficiaries.models import Beneficiary
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.messages.models import MessageStatus, OutboxMessage

CODE_BYTES = 16
# what ``secrets.token_urlsafe(CODE_BYTES)`` writes: 22 characters of the URL-safe alphabet
CODE_FORM = re.compile(r"[A-Za-z0-9_-]{22}")


def stop_code(beneficiary_id: int) -> str:
    """The code of the person's stop link, written now when they have none yet (in the
    caller's unit of work). Two units of work writing it at once keep the first one's:
    the second's update finds it set and writes nothing."""
    code = _code_of(beneficiary_id)
    if code is None:
        db.session.execute(
            update(Beneficiary)
            .where(Beneficiary.id == beneficiary_id, Beneficiary.messages_stop_code.is_(None))
            .values(messages_stop_code=secrets.token_urlsafe(CODE_BYTES)))
        code = _code_of(beneficiary_id)
    if code is None:
        raise LookupError(f"no beneficiary {beneficiary_id}")
    return code


def _code_of(beneficiary_id: int) -> str | None:
    return db.session.scalar(select(Beneficiary.messages_stop_code)
                             .where(Beneficiary.id == beneficiary_id))


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute address of a public page under ``BASE_URL``, built without a request
    (the jobs command has none)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return f"{current_app.config['BASE_URL'].rstrip('/')}{path}"


def stop_url(beneficiary_id: int) -> str:
    """The public stop link printed in every message to the person."""
    return public_url("messages_optout.stop", stop_code=stop_code(beneficiary_id))


def holder_of(code: str) -> int:
    """The id of the person whose stop link holds ``code``. A malformed code raises
    ``NotFound`` (``invalid_link``) before any database read, an unknown one the same."""
    refused = NotFound("Ce lien n'est pas valide : il a peut-être été mal copié. Utilisez le "
                       "lien complet du message reçu.", code="invalid_link")
    if not CODE_FORM.fullmatch(code):
        raise refused
    beneficiary_id = db.session.scalar(select(Beneficiary.id)
                                       .where(Beneficiary.messages_stop_code == code))
    if beneficiary_id is None:
        raise refused
    return beneficiary_id


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
    if (beneficiary is None or beneficiary.messages_consent_at is None
            or beneficiary.pseudonymised_at is not None):  # the purge keeps the consent
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

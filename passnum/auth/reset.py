"""Self-service password reset by e-mail: a single-use link, valid one hour.

The link carries a token signed with the application's secret key (itsdangerous) that
holds the account's id, the time it was issued and a fingerprint of the account's
password hash and session version. Setting a new password changes both, so a link
works once; a logout or a password change also retires the links sent before. Nothing
is stored: there is no table of tokens to leak. The e-mail goes through the outbox
(kind ``password_reset``); the view asks for its delivery once the response is sent.

Asking for a link answers the same whether the account exists or not
(``request_password_reset`` returns None for an unknown or disabled address, and the
view shows one sentence). Setting the new password follows the password-change rules,
ends every session and API token of the account, and is audited (``user.password_reset``);
the person then logs in as usual, second factor included for the roles that have one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import func, select

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.passwords import check_password
from passnum.auth.services import hash_password, normalise_email
from passnum.auth.sessions import end_sessions
from passnum.core.clock import now
from passnum.errors import InvalidInput
from passnum.extensions import db
from passnum.messages.models import Channel
from passnum.messages.services import enqueue, render_message

SALT = "passnum.password-reset.v1"
VALID_FOR = timedelta(hours=1)
RESET_PATH = "/mot-de-passe/nouveau"
MAX_TOKEN_LENGTH = 300
INVALID = ("Ce lien de réinitialisation n'est pas valable ou a déjà servi : demandez-en "
           "un nouveau.")
EXPIRED = "Ce lien de réinitialisation a expiré (il vaut une heure) : demandez-en un nouveau."


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    """Changes whenever the password or the session version does."""
    material = f"{user.password_hash}:{user.session_version}".encode()
    return hashlib.sha256(material).hexdigest()[:24]


def reset_token(user: User, at: datetime) -> str:
    """The token of a reset link for ``user`` issued at ``at``."""
    return str(_serializer().dumps([user.id, int(at.timestamp()), _fingerprint(user)]))


def reset_url(token: str) -> str:
    """The link sent by e-mail."""
    return f"{current_app.config['BASE_URL']}{RESET_PATH}/{token}"


def request_password_reset(email: str, *, ip: str | None = None) -> int | None:
    """Queue a reset link for the enabled account of ``email``; the outbox message's id,
    or None when there is no such account (the caller answers the same either way)."""
    email = normalise_email(email or "")[:254]
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None or not user.is_active_account:
        # audited like a known one (a series of requests for unknown addresses is a
        # probe worth seeing), and the request costs about the same
        record("auth.password_reset_requested", actor_id=None, object_type="user",
               object_id=user.id if user else None, ip=ip,
               details={"known_account": user is not None, "sent": False})
        return None
    at = now()
    subject, body = render_message("password_reset", name=user.full_name,
                                   url=reset_url(reset_token(user, at)))
    message = enqueue(channel=Channel.EMAIL, recipient=user.email, kind="password_reset",
                      event_key=f"auth.password_reset:{user.id}:{int(at.timestamp())}",
                      subject=subject, body=body, user_id=user.id)
    record("auth.password_reset_requested", actor_id=None, object_type="user",
           object_id=user.id, ip=ip, details={"known_account": True, "sent": True})
    return message.id if message is not None else None


def user_for_token(token: str) -> User:
    """The account a reset link is for; ``InvalidInput`` (``reset_link_invalid``: forged,
    already used or retired; ``reset_link_expired``: older than an hour)."""
    try:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise BadData("malformed")
        user_id, issued, fingerprint = _serializer().loads(token)
        if not (isinstance(user_id, int) and isinstance(issued, int)):
            raise BadData("malformed")
    except (BadData, ValueError, TypeError):
        raise InvalidInput(INVALID, code="reset_link_invalid") from None
    age = now().timestamp() - issued
    if age > VALID_FOR.total_seconds() or age < -60:
        raise InvalidInput(EXPIRED, code="reset_link_expired")
    user = db.session.get(User, user_id)
    if user is None or not user.is_active_account or fingerprint != _fingerprint(user):
        raise InvalidInput(INVALID, code="reset_link_invalid")
    return user


def reset_password(token: str, new: str, *, ip: str | None = None) -> User:
    """Set the password of the link's account; every session and token of the account
    ends and the link stops working. Raises ``user_for_token``'s errors and
    ``check_password``'s (``weak_password``, field ``password``)."""
    user = user_for_token(token)
    check_password(new, email=user.email, full_name=user.full_name)
    user.password_hash = hash_password(new)
    record("user.password_reset", actor_id=user.id, object_type="user", object_id=user.id,
           ip=ip)
    end_sessions(user, why="password_reset", actor_id=user.id, ip=ip)
    return user

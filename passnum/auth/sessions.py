"""Sessions revocable on the server, and the account changes that end them.

A session cookie is only signed: it cannot be taken back once copied. So each login
writes the account's ``session_version`` into its session, and every request's user
is loaded only while that number still matches (the user is read per request anyway).
Raising the number ends every session of the account at once; its API tokens are
revoked with it (docs/product.md: a logout, a password change, a suspension or a
second-factor reset ends every session and API token of that account).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update
from werkzeug.security import check_password_hash

from passnum.audit.services import record
from passnum.auth.models import ApiToken, Role, User
from passnum.auth.passwords import check_password
from passnum.core.clock import now
from passnum.errors import AuditNote, Forbidden, InvalidInput
from passnum.extensions import db
from passnum.venues.models import LabelStatus

VERSION_KEY = "session_version"  # the session's key holding the account's version


def end_sessions(user: User, *, why: str, actor_id: int | None = None,
                 ip: str | None = None) -> int:
    """End every session of ``user`` and revoke all their live API tokens; audited.

    ``why`` names the cause (``logout``, ``password_changed``, ``suspended``,
    ``totp_reset``). Returns the number of tokens revoked.
    """
    revoked = _revoke_all(user)
    record("auth.sessions_ended", actor_id=actor_id, object_type="user", object_id=user.id,
           ip=ip, details={"why": why, "tokens_revoked": revoked})
    return revoked


def _revoke_all(user: User) -> int:
    """Raise the account's session version and revoke its live tokens; return how many."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session=False))
    db.session.expire(user, ["session_version"])
    # an UPDATE's result is a CursorResult: Session.execute() is typed for any statement
    return cast(CursorResult[Any], db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now()).execution_options(synchronize_session=False)
    )).rowcount


def session_is_current(user: User, version: object) -> bool:
    """True when a session holding ``version`` was opened since the last ending."""
    return isinstance(version, int) and version == user.session_version


def log_out(user: User, *, ip: str | None = None) -> None:
    """End every session and token of the account; audited as one logout."""
    revoked = _revoke_all(user)
    record("auth.logout", actor_id=user.id, object_type="user", object_id=user.id, ip=ip,
           details={"tokens_revoked": revoked})


def change_password(user: User, *, current: str, new: str, ip: str | None = None) -> None:
    """Replace ``user``'s password after checking the current one; audited.

    Every session and token of the account ends: the caller opens a new session for
    the person who changed it. Raises ``InvalidInput`` (``invalid_password`` for a
    wrong current password, counted like a failed login; ``weak_password``;
    ``password_mismatch`` is the form's) and ``RateLimited`` (``too_many_attempts``)
    while this address waits.
    """
    # imported here: services imports this module (TOTP reset ends sessions)
    from passnum.auth.services import count_failed_attempt, hash_password, refuse_if_throttled

    # a wrong current password is a failed login: whoever holds a stolen session cannot
    # guess the password faster than at the login form
    refuse_if_throttled(user.email, ip)
    if not check_password_hash(user.password_hash, current or ""):
        email, user_id = user.email, user.id
        raise InvalidInput(
            "Mot de passe actuel incorrect.", code="invalid_password",
            field="current_password",
            audit=AuditNote("auth.password_change_failed", "user", user_id, {},
                            actor_id=user_id, ip=ip),
            after_rollback=lambda: count_failed_attempt(email, user_id, ip))
    check_password(new, email=user.email, full_name=user.full_name)
    user.password_hash = hash_password(new)
    record("auth.password_changed", actor_id=user.id, object_type="user", object_id=user.id,
           ip=ip)
    end_sessions(user, why="password_changed", actor_id=user.id, ip=ip)


def account_works(user: User) -> bool:
    """True when ``user`` may hold a session or a token: an enabled account, and for a
    venue's agent a venue whose label has been approved once (docs/product.md: "a
    venue's accounts work only once its label has been approved"). A suspended or
    withdrawn venue's agents still see their history and statements; redeeming needs an
    active label."""
    if not user.is_active_account:
        return False
    if user.role == Role.VENUE_AGENT:
        return user.venue is not None and user.venue.label_status != LabelStatus.PENDING
    return True


def ensure_account_works(user: User, *, ip: str | None = None) -> None:
    """Raise ``Forbidden`` (``venue_not_approved``) for an agent of a venue whose
    application is still pending; the refused login is audited."""
    if account_works(user) or not user.is_active_account:
        return
    raise Forbidden(
        "Votre candidature est en cours d'examen : votre compte pourra être utilisé dès "
        "que le label de votre lieu sera accordé.", code="venue_not_approved",
        audit=AuditNote("auth.login_refused_pending", "user", user.id,
                        {"venue_id": user.venue_id}, actor_id=None, ip=ip))

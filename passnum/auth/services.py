"""Accounts: creation, password checks, API tokens. Every attempt is audited."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from passnum.audit.services import record
from passnum.auth.models import ApiToken, Role, User
from passnum.auth.passwords import check_password
from passnum.core.clock import now
from passnum.errors import AuditNote, Conflict, InvalidInput, RateLimited, Unauthenticated
from passnum.extensions import db
from passnum.programmes.models import Departement, Structure
from passnum.venues.models import Venue

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Compared against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("passnum-no-such-account")


def hash_password(password: str) -> str:
    """Return a salted hash of ``password`` (scrypt unless configured otherwise)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def normalise_email(email: str) -> str:
    """Lower-case and trim an e-mail address."""
    return email.strip().lower()


def create_user(
    *,
    email: str,
    password: str,
    role: str,
    full_name: str = "",
    departement_id: int | None = None,
    structure_id: int | None = None,
    venue_id: int | None = None,
    actor_id: int | None = None,
) -> User:
    """Create an account whose scope matches its role; raises ``InvalidInput``/``Conflict``."""
    email = normalise_email(email)
    if not EMAIL.match(email) or len(email) > 254:
        raise InvalidInput("Adresse e-mail invalide.", field="email")
    check_password(password, email=email, full_name=full_name)
    try:
        role_value = Role(role)
    except ValueError as err:
        raise InvalidInput("Rôle inconnu.", field="role") from err
    scope = _check_scope(role_value, departement_id, structure_id, venue_id)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("Un compte existe déjà avec cette adresse.", code="email_taken")
    user = User(email=email, full_name=full_name.strip(), password_hash=hash_password(password),
                role=role_value.value, **scope)
    db.session.add(user)
    db.session.flush()
    record("user.created", actor_id=actor_id, object_type="user", object_id=user.id,
           details={"role": user.role, **{k: v for k, v in scope.items() if v}})
    return user


def _check_scope(role: Role, departement_id: int | None, structure_id: int | None,
                 venue_id: int | None) -> dict[str, int | None]:
    scope: dict[str, int | None] = {"departement_id": None, "structure_id": None, "venue_id": None}
    needed = {Role.MANAGER: ("departement_id", Departement, "département"),
              Role.ISSUER: ("structure_id", Structure, "structure"),
              Role.VENUE_AGENT: ("venue_id", Venue, "lieu")}.get(role)
    if needed is None:
        return scope
    key, model, label = needed
    value = {"departement_id": departement_id, "structure_id": structure_id,
             "venue_id": venue_id}[key]
    if value is None or db.session.get(model, value) is None:
        raise InvalidInput(f"Ce rôle doit être rattaché à un(e) {label} existant(e).", field=key)
    scope[key] = value
    return scope


def authenticate(email: str, password: str, *, ip: str | None = None) -> User:
    """Return the user for these credentials; audit success and failure alike.

    Raises ``Unauthenticated`` (``invalid_credentials``) with one message whether the
    e-mail or the password is wrong. Failures in a row lock the account, for longer at
    each further failure (``RateLimited``, ``account_locked``, even with the right
    password); the counter survives the refusal's rollback.
    """
    email = normalise_email(email or "")[:254]
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is not None and user.locked_until is not None and user.locked_until > now():
        wait = max(1, math.ceil((user.locked_until - now()).total_seconds() / 60))
        raise RateLimited(
            f"Trop de tentatives infructueuses : ce compte est verrouillé. Réessayez dans "
            f"{wait} minute{'s' if wait > 1 else ''}.",
            code="account_locked", retry_after=wait * 60,
            audit=AuditNote("auth.login_refused_locked", "user", user.id, {},
                            actor_id=None, ip=ip))
    if user is None or not valid or not user.is_active:
        user_id = user.id if user else None
        raise Unauthenticated(
            "Adresse e-mail ou mot de passe incorrect.",
            code="invalid_credentials",
            audit=AuditNote("auth.login_failed", "user", user_id,
                            {"known_account": user is not None}, actor_id=None, ip=ip),
            after_rollback=(lambda: _count_failure(user_id, ip)) if user_id else None,
        )
    user.last_login_at = now()
    user.failed_login_count, user.locked_until = 0, None
    record("auth.login", actor_id=user.id, object_type="user", object_id=user.id, ip=ip)
    return user


def _count_failure(user_id: int, ip: str | None) -> None:
    """Count one more failed login; from the threshold on, lock the account for 1, 2,
    4… minutes (up to the configured maximum) and audit the lock."""
    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        return
    user.failed_login_count += 1
    after = int(current_app.config["LOGIN_LOCKOUT_AFTER"])
    if user.failed_login_count < after:
        return
    minutes = min(2 ** min(user.failed_login_count - after, 16),
                  int(current_app.config["LOGIN_LOCKOUT_MAX_MINUTES"]))
    user.locked_until = now() + timedelta(minutes=minutes)
    record("auth.locked", actor_id=None, object_type="user", object_id=user.id, ip=ip,
           details={"failures": user.failed_login_count, "minutes": minutes})


def record_logout(user: User) -> None:
    """Audit a logout."""
    record("auth.logout", actor_id=user.id, object_type="user", object_id=user.id)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User, *, hours: int) -> tuple[str, datetime]:
    """Create a bearer token for ``user``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = now() + timedelta(hours=hours)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), expires_at=expires_at))
    record("api_token.created", actor_id=user.id, object_type="user", object_id=user.id)
    return token, expires_at


def user_for_token(token: str) -> User | None:
    """Return the active user owning a valid, unexpired token, else None."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now():
        return None
    return row.user if row.user.is_active else None

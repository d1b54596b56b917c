"""Accounts: creation, password checks, API tokens. Every attempt is audited."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from passnum.audit.services import record
from passnum.auth.models import ApiToken, Role, User
from passnum.core.clock import now
from passnum.errors import AuditNote, Conflict, InvalidInput, Unauthenticated
from passnum.extensions import db
from passnum.programmes.models import Departement, Structure
from passnum.venues.models import Venue

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.",
            field="password",
        )
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
    e-mail or the password is wrong.
    """
    email = normalise_email(email or "")[:254]
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not valid or not user.is_active:
        raise Unauthenticated(
            "Adresse e-mail ou mot de passe incorrect.",
            code="invalid_credentials",
            audit=AuditNote("auth.login_failed", "user", user.id if user else None,
                            {"known_account": user is not None}, actor_id=None, ip=ip),
        )
    user.last_login_at = now()
    record("auth.login", actor_id=user.id, object_type="user", object_id=user.id, ip=ip)
    return user


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

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
from passnum.auth import throttle, totp
from passnum.auth.models import ApiToken, Role, User
from passnum.auth.passwords import check_password
from passnum.auth.repository import user_for_token_hash
from passnum.auth.scope import ensure_admin
from passnum.auth.sessions import end_sessions, ensure_account_works
from passnum.core.clock import now
from passnum.core.text import check_name_characters
from passnum.errors import (
    AuditNote,
    Conflict,
    InvalidInput,
    RateLimited,
    Unauthenticated,
)
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
    check_name_characters(full_name, field="full_name", label="Le nom")
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


def authenticate(email: str, password: str, *, ip: str | None = None,
                 totp: str | None = None, defer_second_factor: bool = False) -> User:
    """Return the user for these credentials; audit success and failure alike.

    Raises ``Unauthenticated`` (``invalid_credentials``) with one message whether the
    e-mail or the password is wrong. Failures are counted per (e-mail, address) and per
    address (``auth.throttle``), unknown e-mails alike; past either budget that address
    is refused (``RateLimited``, ``too_many_attempts``) before any password is checked,
    while the account's owner still logs in from elsewhere. The count survives the
    refusal's rollback.

    Roles in ``TOTP_ROLES`` also need a second factor: ``totp`` is checked here
    (``totp_required``, ``totp_not_enrolled``, ``invalid_totp``), unless
    ``defer_second_factor``, where the caller asks for it next (the web login) and the
    login is neither complete nor audited yet.
    """
    email = normalise_email(email or "")[:254]
    refuse_if_throttled(email, ip)
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is None or not valid or not user.is_active:
        user_id = user.id if user else None
        raise Unauthenticated(
            "Adresse e-mail ou mot de passe incorrect.",
            code="invalid_credentials",
            audit=AuditNote("auth.login_failed", "user", user_id,
                            {"known_account": user is not None}, actor_id=None, ip=ip),
            after_rollback=lambda: count_failed_attempt(email, user_id, ip),
        )
    if needs_second_factor(user):
        if defer_second_factor:
            return user
        if user.totp_enabled_at is None:
            raise Unauthenticated("Activez d'abord la double authentification en vous "
                                  "connectant une première fois sur le site.",
                                  code="totp_not_enrolled")
        if not totp:
            raise Unauthenticated("Code de l'application d'authentification requis.",
                                  code="totp_required", field="totp")
        verify_second_factor(user, totp, ip=ip)
    finish_login(user, ip=ip)
    return user


def refuse_if_throttled(email: str, ip: str | None) -> None:
    """Raise ``RateLimited`` (``too_many_attempts``) while this address waits, for this
    e-mail or for all; the same answer whether the account exists or not.

    Checked before the database is read or any password hashed, and not audited (the
    failures and the lock are): a waiting address that keeps knocking costs nothing.
    """
    wait = throttle.wait_seconds(email, ip)
    if not wait:
        return
    minutes = math.ceil(wait / 60)
    raise RateLimited(
        f"Trop de tentatives infructueuses depuis cette connexion : réessayez dans "
        f"{minutes} minute{'s' if minutes > 1 else ''}.",
        code="too_many_attempts", retry_after=wait)


def finish_login(user: User, *, ip: str | None = None) -> None:
    """Record a complete login: this address's failures on the account forgotten, time
    kept, audited."""
    user.last_login_at = now()
    throttle.forget_failures(user.email, ip)
    record("auth.login", actor_id=user.id, object_type="user", object_id=user.id, ip=ip)


# --- Second factor (TOTP) -------------------------------------------------------------


def needs_second_factor(user: User) -> bool:
    """True for the roles that must log in with an authenticator app."""
    return user.role in current_app.config["TOTP_ROLES"]


def enrolment_secret(user: User) -> str:
    """The secret to show while ``user`` sets up their app (made on first call).

    Raises ``Conflict`` (``totp_already_enabled``) once enrolment is complete.
    """
    if user.totp_enabled_at is not None:
        raise Conflict("La double authentification est déjà activée.",
                       code="totp_already_enabled")
    if not user.totp_secret:
        user.totp_secret = totp.new_secret()
        db.session.flush()
    return user.totp_secret


def confirm_enrolment(user: User, code: str, *, ip: str | None = None) -> None:
    """Enable the second factor once a first code from the app is right; audited.

    Raises ``Unauthenticated`` (``invalid_totp``), counted like a failed login.
    """
    secret = enrolment_secret(user)
    refuse_if_throttled(user.email, ip)
    step = totp.matching_step(secret, code, now())
    if step is None:
        raise _invalid_totp(user, ip)
    user.totp_enabled_at, user.totp_last_step = now(), step
    record("auth.totp_enabled", actor_id=user.id, object_type="user", object_id=user.id,
           ip=ip)


def verify_second_factor(user: User, code: str, *, ip: str | None = None) -> None:
    """Accept a current code of ``user``'s app, each code once only.

    The row is locked so that one code cannot open two sessions at once. Raises
    ``RateLimited`` while this address waits and ``Unauthenticated`` (``invalid_totp``),
    counted like a failed login.
    """
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    db.session.refresh(user)
    refuse_if_throttled(user.email, ip)
    if user.totp_enabled_at is None or not user.totp_secret:
        raise Unauthenticated("La double authentification n'est pas activée.",
                              code="totp_not_enrolled")
    step = totp.matching_step(user.totp_secret, code, now())
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        raise _invalid_totp(user, ip)
    user.totp_last_step = step


def _invalid_totp(user: User, ip: str | None) -> Unauthenticated:
    """The refusal of a wrong or replayed code, audited and counted."""
    user_id, email = user.id, user.email
    return Unauthenticated(
        "Code incorrect ou déjà utilisé : saisissez le code à 6 chiffres affiché "
        "maintenant par votre application.", code="invalid_totp", field="code",
        audit=AuditNote("auth.totp_failed", "user", user_id, {}, actor_id=None, ip=ip),
        after_rollback=lambda: count_failed_attempt(email, user_id, ip))


def reset_second_factor(actor: User | None, user: User) -> None:
    """Let ``user`` set up a new app (lost phone): admins, or the server's operator on the
    command line (``actor`` None); audited."""
    ensure_admin(actor, "Seul un administrateur peut réinitialiser la double "
                        "authentification.", system=True)
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    record("auth.totp_reset", actor_id=actor.id if actor else None, object_type="user",
           object_id=user.id)
    # whoever holds the lost phone may hold an open session too
    end_sessions(user, why="totp_reset", actor_id=actor.id if actor else None)


def count_failed_attempt(email: str, user_id: int | None, ip: str | None) -> None:
    """Count one more failed login of ``email`` from ``ip``; audit the attempt that
    spends a budget (``auth.locked``: that address now waits)."""
    if throttle.count_failure(email, ip):
        record("auth.locked", actor_id=None, object_type="user", object_id=user_id, ip=ip,
               details={"known_account": user_id is not None})


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User, *, hours: int) -> tuple[str, datetime]:
    """Create a bearer token for ``user``; only its hash is stored.

    Raises ``Forbidden`` (``venue_not_approved``) while the account cannot work yet.
    """
    ensure_account_works(user)
    token = secrets.token_urlsafe(32)
    expires_at = now() + timedelta(hours=hours)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), expires_at=expires_at))
    record("api_token.created", actor_id=user.id, object_type="user", object_id=user.id)
    return token, expires_at


def user_for_token(token: str) -> User | None:
    """Return the active user owning a valid, unexpired token, else None.

    One query per API request (``repository.user_for_token_hash``): the user with its
    venue (what a venue agent's calls need), only through a live token of an active
    account.
    """
    if not token or len(token) > 200:
        return None
    return user_for_token_hash(_token_hash(token), at=now())

"""Login, logout and the home page of each role."""

from __future__ import annotations

import hashlib
import logging
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from passnum.auth import totp
from passnum.auth.forms import (
    CodeForm,
    LoginForm,
    PasswordChangeForm,
    PasswordForgottenForm,
    PasswordResetForm,
)
from passnum.auth.models import Role, User
from passnum.auth.reset import RESET_PATH, request_password_reset, reset_password, user_for_token
from passnum.auth.services import (
    authenticate,
    confirm_enrolment,
    enrolment_secret,
    finish_login,
    needs_second_factor,
    verify_second_factor,
)
from passnum.auth.sessions import VERSION_KEY, change_password, ensure_account_works, log_out
from passnum.core.clock import now
from passnum.core.db import unit_of_work
from passnum.core.forms import required_data
from passnum.core.ratelimit import hit_limit
from passnum.core.resume import resume_url
from passnum.core.views import attempt
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.messages.delivery import deliver_due

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
PENDING = "pending_login"  # session key of a login waiting for its second factor
PENDING_SECONDS = 300
RESET_KEY = "password_reset_token"  # session key of the reset link being used
RESET_SENT = "Si un compte existe pour cette adresse, un lien vient d'être envoyé."
RESET_LIMITED = "Trop de demandes de réinitialisation : réessayez dans un moment."


def _safe_next(target: str | None) -> str:
    """Only follow local redirects after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("auth.home")


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    """Show the login form; log the user in on valid credentials."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: _authenticated(form), form, field="password", reraise=())
        if outcome.error is not None:
            status = 429 if outcome.status == 429 else 422
            return render_template("auth/login.html", form=form), status
        user = outcome.value
        if needs_second_factor(user):
            session[PENDING] = {"user_id": user.id, "at": int(now().timestamp()),
                                "next": _safe_next(request.args.get("next"))}
            step = "auth.code" if user.totp_enabled_at else "auth.activation"
            return redirect(url_for(step))
        return _logged_in(user, _safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


def _authenticated(form: LoginForm) -> User:
    """The account whose e-mail and password the form holds, if it may log in."""
    user = authenticate(required_data(form.email.data), required_data(form.password.data),
                        ip=request.remote_addr, defer_second_factor=True)
    ensure_account_works(user, ip=request.remote_addr)
    return user


def _logged_in(user: User, target: str) -> ResponseReturnValue:
    """Open the session and go on."""
    start_session(user)
    flash("Vous êtes connecté(e).", "success")
    return redirect(target)


def _pending_user() -> User | None:
    """The account whose password was just checked, for a few minutes."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or now().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, pending.get("user_id", 0))
    return user if user is not None and user.is_active else None


@bp.route("/connexion/code", methods=["GET", "POST"])
def code() -> ResponseReturnValue:
    """Second step for admins and managers: the authenticator app's current code."""
    return _second_step(enrol=False)


@bp.route("/connexion/activation", methods=["GET", "POST"])
def activation() -> ResponseReturnValue:
    """First login of an admin or manager: set up the authenticator app, then log in."""
    return _second_step(enrol=True)


def _second_step(*, enrol: bool) -> ResponseReturnValue:
    """Check the pending login's code (or enrol its app); open the session."""
    user = _pending_user()
    if user is None or (user.totp_enabled_at is None) != enrol:
        flash("Session de connexion expirée : saisissez à nouveau vos identifiants.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: _second_factor_checked(user.id, required_data(form.code.data),
                                                         enrol=enrol),
                          form, field="code", reraise=())
        if outcome.ok:
            return _logged_in(outcome.value, session.pop(PENDING)["next"])
    return _second_step_page(user, form, enrol=enrol)


def _second_factor_checked(user_id: int, code: str, *, enrol: bool) -> User:
    """Check (or, enrolling, confirm) the account's code and finish its login."""
    user = db.session.get_one(User, user_id)
    if enrol:
        confirm_enrolment(user, code, ip=request.remote_addr)
    else:
        verify_second_factor(user, code, ip=request.remote_addr)
    finish_login(user, ip=request.remote_addr)
    return user


def _second_step_page(user: User, form: CodeForm, *, enrol: bool) -> ResponseReturnValue:
    """The code form, with the QR code and the secret while enrolling."""
    status = 200 if not form.errors else 422
    if not enrol:
        return render_template("auth/code.html", form=form), status
    with unit_of_work():
        secret = enrolment_secret(db.session.get_one(User, user.id))
    # the SVG holds path data only, drawn by core.qr from our own otpauth address
    qr = Markup(totp.qr_svg(totp.provisioning_uri(secret, user.email)))  # noqa: S704
    return render_template("auth/activation.html", form=form, qr=qr,
                           secret=totp.grouped(secret)), status


def start_session(user: User) -> None:
    """Log ``user`` in with a fresh session that ends when idle or too old."""
    login_user(user)
    session[VERSION_KEY] = user.session_version
    session.permanent = True  # expires after SESSION_IDLE_MINUTES without a request
    # wall-clock time, like the idle expiry of the signed cookie (not the business clock)
    session["login_at"] = int(time.time())


@bp.before_app_request
def _end_old_sessions() -> ResponseReturnValue | None:
    """Log out a session older than SESSION_MAX_HOURS, however active it was."""
    # the session alone decides: no user is loaded from the database on each request
    login_at = session.get("login_at")
    if login_at is None or time.time() - login_at <= current_app.config["SESSION_MAX_HOURS"] * 3600:
        return None
    logout_user()
    session.clear()
    flash("Votre session a expiré : reconnectez-vous.", "info")
    if request.path.startswith("/api/"):
        return None  # the API answers 401 by itself
    # a form sent: come back to its page, which refills it (``core.resume``)
    target = resume_url() if request.method == "POST" else request.full_path.rstrip("?")
    return redirect(url_for("auth.login", next=target))


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    """Log out (POST only, protected by CSRF)."""
    with unit_of_work():
        log_out(db.session.get(User, current_user.id), ip=request.remote_addr)
    logout_user()
    flash("Vous êtes déconnecté(e).", "info")
    return redirect(url_for("auth.login"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    """Change one's own password; every other session and token of the account ends."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: _password_changed(form), form, field="new_password",
                          reraise=())
        if outcome.ok:
            start_session(outcome.value)  # this browser goes on, with the new version
            flash("Mot de passe modifié : vos autres sessions sont fermées.", "success")
            return redirect(url_for("auth.home"))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 422


def _password_changed(form: PasswordChangeForm) -> User:
    """Change the current account's password as the form asks."""
    user = db.session.get_one(User, current_user.id)
    change_password(user, current=required_data(form.current_password.data),
                    new=required_data(form.new_password.data),
                    ip=request.remote_addr)
    return user


@bp.route("/mot-de-passe/oublie", methods=["GET", "POST"])
def password_forgotten() -> ResponseReturnValue:
    """Ask for a reset link; the answer is the same whether the account exists or not."""
    form = PasswordForgottenForm()
    if form.validate_on_submit():
        email = required_data(form.email.data)
        outcome = attempt(lambda: _reset_requested(email), form, field="email", reraise=())
        if outcome.ok:
            if outcome.value is not None:
                _deliver_after_response(outcome.value)
            flash(RESET_SENT, "info")
            return redirect(url_for("auth.login"))
        return render_template("auth/forgotten.html", form=form), outcome.status
    return render_template("auth/forgotten.html", form=form), 200 if not form.errors else 422


def _reset_requested(email: str) -> int | None:
    """Count the request against the address's and the e-mail's budgets, then queue the
    link (the e-mail is counted as a digest, known or not)."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    hit_limit("RATELIMIT_PASSWORD_RESET", "password-reset-ip", request.remote_addr or "-",
              RESET_LIMITED)
    hit_limit("RATELIMIT_PASSWORD_RESET_EMAIL", "password-reset-email", digest, RESET_LIMITED)
    return request_password_reset(email, ip=request.remote_addr)


def _deliver_after_response(message_id: int) -> None:
    """Send the message once the response has left: the person need not wait for the
    mail server, and the answer takes as long whether an account exists or not. A
    failure leaves the message in the outbox, for ``jobs run`` to send."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def deliver() -> None:
        with app.app_context():
            try:
                report = deliver_due(ids=[message_id])
            except Exception:  # the database went away: the message waits in the outbox
                log.exception("message %s: not sent after the response, left to the jobs "
                              "command", message_id)
                return
            if report.sent != 1:
                log.info("message %s left to the jobs command", message_id)

    @after_this_request
    def _on_close(response: Response) -> Response:
        response.call_on_close(deliver)
        return response


@bp.route(f"{RESET_PATH}/<reset_token>")
def password_reset_link(reset_token: str) -> ResponseReturnValue:
    """Open the link of the e-mail: keep its token in the session, out of the address bar
    (and of any Referer), and show the form."""
    try:
        user_for_token(reset_token)
    except DomainError as err:
        return render_template("auth/reset_invalid.html", message=err.message), 400
    session[RESET_KEY] = reset_token
    return redirect(url_for("auth.password_reset"))


@bp.route(RESET_PATH, methods=["GET", "POST"])
def password_reset() -> ResponseReturnValue:
    """Choose the new password; then log in as usual (second factor included)."""
    token = session.get(RESET_KEY)
    if not isinstance(token, str):
        flash("Ouvrez le lien reçu par e-mail, ou demandez-en un nouveau.", "info")
        return redirect(url_for("auth.password_forgotten"))
    form = PasswordResetForm()
    if form.validate_on_submit():
        new = required_data(form.password.data)
        outcome = attempt(lambda: reset_password(token, new, ip=request.remote_addr), form,
                          field="password", unplaced="none", reraise=())
        if outcome.ok:
            session.pop(RESET_KEY, None)
            logout_user()  # whoever was logged in this browser: everyone logs in again
            flash("Mot de passe enregistré : connectez-vous avec le nouveau.", "success")
            return redirect(url_for("auth.login"))
        if outcome.error is not None and outcome.error.code.startswith("reset_link_"):
            session.pop(RESET_KEY, None)
            return render_template("auth/reset_invalid.html",
                                   message=outcome.error.message), 400
        return render_template("auth/reset.html", form=form), outcome.status
    return render_template("auth/reset.html", form=form), 200 if not form.errors else 422


@bp.route("/")
@login_required
def home():
    """Send each role to its main page."""
    if current_user.role in (Role.MANAGER, Role.ADMIN):
        return redirect(url_for("dashboard.index"))
    if current_user.role == Role.ISSUER:
        return redirect(url_for("beneficiaries.search"))
    if not current_user.venue.is_label_active:  # pending or suspended: see why, not scan
        return redirect(url_for("venues.labels.my_venue"))
    return redirect(url_for("redemptions.scan"))

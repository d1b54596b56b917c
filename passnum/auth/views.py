"""Login, logout and the home page of each role."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
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

from passnum.auth.forms import LoginForm
from passnum.auth.models import Role, User
from passnum.auth.services import authenticate, record_logout
from passnum.core.clock import now
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import limiter

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow local redirects after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("auth.home")


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    """Show the login form; log the user in on valid credentials."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = authenticate(form.email.data, form.password.data, ip=request.remote_addr)
        except DomainError as err:
            form.password.errors.append(err.message)
            status = 429 if err.http_status == 429 else 422
            return render_template("auth/login.html", form=form), status
        start_session(user)
        flash("Vous êtes connecté(e).", "success")
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


def start_session(user: User) -> None:
    """Log ``user`` in with a fresh session that ends when idle or too old."""
    login_user(user)
    session.permanent = True  # expires after SESSION_IDLE_MINUTES without a request
    session["login_at"] = int(now().timestamp())


@bp.before_app_request
def _end_old_sessions() -> ResponseReturnValue | None:
    """Log out a session older than SESSION_MAX_HOURS, however active it was."""
    login_at = session.get("login_at")
    if not current_user.is_authenticated or login_at is None:
        return None
    if now().timestamp() - login_at <= current_app.config["SESSION_MAX_HOURS"] * 3600:
        return None
    logout_user()
    session.clear()
    flash("Votre session a expiré : reconnectez-vous.", "info")
    if request.path.startswith("/api/"):
        return None  # the API answers 401 by itself
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    """Log out (POST only, protected by CSRF)."""
    with unit_of_work():
        record_logout(current_user)
    logout_user()
    flash("Vous êtes déconnecté(e).", "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
@login_required
def home():
    """Send each role to its main page."""
    if current_user.role in (Role.MANAGER, Role.ADMIN):
        return redirect(url_for("dashboard.index"))
    if current_user.role == Role.ISSUER:
        return redirect(url_for("beneficiaries.search"))
    return redirect(url_for("redemptions.scan"))

"""Login, logout and the home page of each role."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from passnum.auth.forms import LoginForm
from passnum.auth.models import Role
from passnum.auth.services import authenticate, record_logout
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
        else:
            login_user(user)
            flash("Vous êtes connecté(e).", "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


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

"""Flask-Login wiring: session users and API bearer tokens."""

from __future__ import annotations

from flask import Flask, Request, session
from sqlalchemy.orm import joinedload

from passnum.auth.models import User
from passnum.auth.services import user_for_token
from passnum.auth.sessions import VERSION_KEY, account_works, session_is_current
from passnum.extensions import db, login_manager


def init_login(app: Flask) -> None:
    """Load users from the session cookie or from ``Authorization: Bearer``."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        # a session counts only while the account's session version is the one it
        # was opened with (logout, password change… raise it) and the account works
        user = (db.session.get(User, int(user_id), options=[joinedload(User.venue)])
                if user_id.isdigit() else None)  # an agent's venue in the same query
        if user is None or not session_is_current(user, session.get(VERSION_KEY)):
            return None
        return user if account_works(user) else None

    @login_manager.request_loader
    def _from_bearer(request: Request) -> User | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        return user_for_token(header.removeprefix("Bearer ").strip())

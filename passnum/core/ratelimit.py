"""Rate limits on voucher code checks: per user and per IP address (SPEC)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user

from passnum.extensions import limiter


def _limit() -> str:
    return current_app.config["RATELIMIT_CODE_CHECKS"]


def _user_key() -> str:
    # anonymous visitors (people opening a voucher link) are limited by address only
    user_id = current_user.get_id()
    return f"user:{user_id}" if user_id else f"ip:{get_remote_address()}"


def limit_code_checks(view: Callable[..., Any]) -> Callable[..., Any]:
    """Apply the code-check limit twice: once per user, once per client address."""
    per_ip = limiter.limit(_limit, key_func=get_remote_address, scope="code-check-ip")
    per_user = limiter.limit(_limit, key_func=_user_key, scope="code-check-user")
    return per_ip(per_user(view))

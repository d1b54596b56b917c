"""Rate limits on voucher code checks: per user and per IP address (SPEC).

Every scan and every redemption passes here, so the two counters are hit straight on
the limiter's strategy and storage (memory, or Redis when ``REDIS_URL`` is set) rather
than through Flask-Limiter's per-request machinery, which costs several times more.
Going over either limit answers 429 ``rate_limited`` with ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItem, parse

from passnum.errors import RateLimited
from passnum.extensions import limiter

MESSAGE = "Trop de vérifications de chèques : réessayez dans un moment."


@lru_cache(maxsize=8)
def _item(limit: str) -> RateLimitItem:
    """The parsed limit (``"60 per minute"``), parsed once."""
    return parse(limit)


def _user_key() -> str:
    # anonymous visitors (people opening a voucher link) are limited by address only
    user_id = current_user.get_id()
    return f"user:{user_id}" if user_id else f"ip:{get_remote_address()}"


def hit_code_checks() -> None:
    """Count one code check against both limits; raise ``RateLimited`` past either."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return
    item = _item(config["RATELIMIT_CODE_CHECKS"])
    strategy = limiter.limiter
    for scope, key in (("code-check-ip", get_remote_address()),
                       ("code-check-user", _user_key())):
        if not strategy.hit(item, scope, key):
            reset = strategy.get_window_stats(item, scope, key).reset_time
            raise RateLimited(MESSAGE, code="rate_limited",
                              retry_after=max(1, math.ceil(reset - time.time())))


def limit_code_checks(view: Callable[..., Any]) -> Callable[..., Any]:
    """Apply the code-check limits (per user, per client address) to a view."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        hit_code_checks()
        return view(*args, **kwargs)

    return wrapper

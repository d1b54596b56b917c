"""Rate limits on voucher code checks: per user and per address, and anonymous voucher
links per address (docs/product.md, "Voucher security").

Every scan and every redemption passes here, so the two counters are hit straight on
the limiter's strategy and storage (memory, or Redis when ``REDIS_URL`` is set) rather
than through Flask-Limiter's per-request machinery, which costs several times more.
Going over either limit answers 429 ``rate_limited`` with ``Retry-After``.

``install`` puts Flask-Limiter on the app for the views' own limits (log-in, venue
applications: ``@limiter.limit``), which their decorators check. Without Redis the
counters live in each process (``passnum-memory://``, ``SweptMemoryStorage``).
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage

from passnum.config import ConfigError
from passnum.errors import RateLimited
from passnum.extensions import limiter

MESSAGE = "Trop de vérifications de chèques : réessayez dans un moment."
APP_WIDE_SETTINGS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")


class SweptMemoryStorage(MemoryStorage):
    """``limits``' in-process storage, its expired counters swept once a second by one
    long-lived thread.

    The original starts a new timer thread whenever the last one has ended, at most
    10 ms earlier: on a busy worker, a thread started on nearly every code check, about
    a hundred microseconds of CPU each. Counters past their window are also ignored when
    read, so a sweep only gives their memory back. The thread holds the storage weakly
    and ends with it (an app's storage goes when the app goes, as in the tests).
    """

    STORAGE_SCHEME = ["passnum-memory"]
    SWEEP_SECONDS = 1.0
    _starting = threading.Lock()

    # replaces the parent's private timer start (its name-mangled name)
    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802
        if self._sweeping():
            return
        with self._starting:  # first use, or in a forked worker: one sweeper, not two
            if not self._sweeping():
                self._sweeper = threading.Thread(target=_sweep, args=(weakref.ref(self),),
                                                 name="ratelimit-sweeper", daemon=True)
                self._sweeper.start()

    def _sweeping(self) -> bool:
        sweeper = self.__dict__.get("_sweeper")
        return sweeper is not None and sweeper.is_alive()


def _sweep(storage_ref: weakref.ref[SweptMemoryStorage]) -> None:
    """Drop expired counters every ``SWEEP_SECONDS`` while the storage lives."""
    while True:
        storage = storage_ref()
        if storage is None:
            return
        pause = storage.SWEEP_SECONDS
        storage._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        del storage
        time.sleep(pause)


def install(app: Flask) -> None:
    """Flask-Limiter on ``app``, limits checked only by the views that declare them.

    passnum has no app-wide limit: each limit belongs to a view (``@limiter.limit``,
    checked by that decorator) or is one of the code checks below. The before-request
    check Flask-Limiter adds for app-wide limits would find nothing to do on every
    request, at about 5 % of a redemption's work, so it is taken off; an app-wide limit
    set in the configuration would then never apply, so it is refused.
    """
    configured = [name for name in APP_WIDE_SETTINGS if app.config.get(name)]
    if configured:
        raise ConfigError(f"Limites globales non prises en charge : {', '.join(configured)} ; "
                          "limitez les vues une à une (@limiter.limit).")
    limiter.init_app(app)
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:  # not there when limits are disabled
        hooks.remove(limiter._check_request_limit)


@lru_cache(maxsize=16)
def _items(limits: str) -> tuple[RateLimitItem, ...]:
    """The parsed limits (``"300 per minute;10000 per day"``), parsed once."""
    return tuple(parse_many(limits))


def _budgets() -> tuple[tuple[str, str, str], ...]:
    """(setting, scope, key) of the budgets one code check counts against.

    Logged-in users (venue agents scanning, issuers checking) count per user and per
    address; anonymous visitors (people opening a voucher link, and forgers) have a
    budget of their own per address, so that their traffic never spends the agents'.
    """
    address = get_remote_address()
    user_id = current_user.get_id()
    if user_id is None:
        return (("RATELIMIT_VOUCHER_LINKS", "voucher-link-ip", address),)
    return (("RATELIMIT_CODE_CHECKS_ADDRESS", "code-check-ip", address),
            ("RATELIMIT_CODE_CHECKS", "code-check-user", f"user:{user_id}"))


def hit_code_checks() -> None:
    """Count one code check against its budgets; raise ``RateLimited`` past any."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return
    strategy = limiter.limiter
    for setting, scope, key in _budgets():
        for item in _items(config[setting]):
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

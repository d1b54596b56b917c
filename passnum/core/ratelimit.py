"""Rate limits on the `limits` library: voucher code checks per user and per address,
anonymous voucher links per address (docs/product.md, "Voucher security"), and a
view's own budget (venue applications: ``limit_accepted``).

Every scan and every redemption passes here, so the counters are hit straight on the
app's strategy and storage (memory, or Redis when ``REDIS_URL`` is set): a request pays
for its own budgets and nothing else. Going over a limit answers 429 ``rate_limited``
with ``Retry-After``. Without Redis the counters live in each process
(``passnum-memory://``, ``SweptMemoryStorage``).
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, Response, current_app, make_response, request
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import STRATEGIES, RateLimiter

from passnum.config import ConfigError
from passnum.errors import HTTP_MESSAGES, RateLimited

MESSAGE = "Trop de vérifications de chèques : réessayez dans un moment."
EXTENSION = "passnum.ratelimit"
APP_WIDE_SETTINGS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")
# the private methods of limits' MemoryStorage that SweptMemoryStorage replaces and calls
PRIVATE_NAMES = ("_MemoryStorage__schedule_expiry", "_MemoryStorage__expire_events")
Budget = tuple[RateLimitItem, str, str]  # (limit, scope, key)


class SweptMemoryStorage(MemoryStorage):
    """``limits``' in-process storage, its expired counters swept once a second by one
    long-lived thread.

    The original starts a new timer thread whenever the last one has ended, at most
    10 ms earlier: on a busy worker, a thread started on nearly every code check, about
    a hundred microseconds of CPU each. Counters past their window are also ignored when
    read, so a sweep only gives their memory back. The thread holds the storage weakly
    and ends with it (an app's storage goes when the app goes, as in the tests).

    ``limits`` offers no public way to change its timer: this class replaces one private
    method and calls another (``PRIVATE_NAMES``). pyproject.toml pins ``limits`` to the
    exact version they were read from, and tests/core/test_ratelimit.py fails the day
    either name changes, before any sweep silently stops.
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
    """Give ``app`` its rate-limit strategy (``RATELIMIT_STRATEGY``, fixed windows by
    default) on its storage (``RATELIMIT_STORAGE_URI``).

    passnum has no app-wide limit: each limit belongs to a view (``limit_code_checks``,
    ``limit_accepted``) or to the login throttle; an app-wide limit set in the
    configuration would never apply, so it is refused.
    """
    configured = [name for name in APP_WIDE_SETTINGS if app.config.get(name)]
    if configured:
        raise ConfigError(f"Limites globales non prises en charge : {', '.join(configured)} ; "
                          "limitez les vues une à une.")
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"],
                                  **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}))
    name = app.config.get("RATELIMIT_STRATEGY", "fixed-window")
    if name not in STRATEGIES:
        raise ConfigError(f"RATELIMIT_STRATEGY : « {name} » inconnue "
                          f"({', '.join(STRATEGIES)}).")
    app.extensions[EXTENSION] = STRATEGIES[name](storage)


def strategy() -> RateLimiter:
    """The current app's rate-limit strategy (``install``)."""
    return current_app.extensions[EXTENSION]


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


@lru_cache(maxsize=16)
def _items(limits: str) -> tuple[RateLimitItem, ...]:
    """The parsed limits (``"300 per minute;10000 per day"``), parsed once."""
    return tuple(parse_many(limits))


def _budgets() -> tuple[tuple[str, str, str], ...]:
    """(setting, scope, key) of the budgets one code check counts against.

    Logged-in users (venue agents scanning, issuers checking) count per user and per
    address; anonymous visitors (people opening a voucher link, and forgers) have a
    budget of their own per address, so that their traffic never spends the agents'.
    Scopes start with ``RATELIMIT_KEY_PREFIX``, as every counter's: instances sharing
    one Redis keep their own.
    """
    address = request.remote_addr or "-"
    user_id = current_user.get_id()
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    if user_id is None:
        return (("RATELIMIT_VOUCHER_LINKS", f"{prefix}voucher-link-ip", address),)
    return (("RATELIMIT_CODE_CHECKS_ADDRESS", f"{prefix}code-check-ip", address),
            ("RATELIMIT_CODE_CHECKS", f"{prefix}code-check-user", f"user:{user_id}"))


def _refuse(budget: Budget, message: str) -> RateLimited:
    """The refusal of a spent ``budget``, with the seconds until its window frees a hit."""
    reset = strategy().get_window_stats(*budget).reset_time
    return RateLimited(message, code="rate_limited",
                       retry_after=max(1, math.ceil(reset - time.time())))


def hit_code_checks() -> None:
    """Count one code check against its budgets; raise ``RateLimited`` past any."""
    if not _enabled():
        return
    config, limiter = current_app.config, strategy()
    for setting, scope, key in _budgets():
        for item in _items(config[setting]):
            if not limiter.hit(item, scope, key):
                raise _refuse((item, scope, key), MESSAGE)


def limit_code_checks(view: Callable[..., Any]) -> Callable[..., Any]:
    """Apply the code-check limits (per user, per client address) to a view."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        hit_code_checks()
        return view(*args, **kwargs)

    return wrapper


def limit_accepted(setting: str, scope: str,
                   accepted: Callable[[Response], bool]) -> Callable[..., Any]:
    """Limit a view's POSTs per client address to the budget of ``setting``, counting
    only the answers ``accepted`` keeps (typos and refusals are free): a spent budget
    answers 429 before the view runs."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method != "POST" or not _enabled():
                return view(*args, **kwargs)
            config, limiter = current_app.config, strategy()
            key = request.remote_addr or "-"
            budgets = [(item, f"{config['RATELIMIT_KEY_PREFIX']}{scope}", key)
                       for item in _items(config[setting])]
            for budget in budgets:
                if not limiter.test(*budget):
                    raise _refuse(budget, HTTP_MESSAGES[429][1])
            response = make_response(view(*args, **kwargs))
            if accepted(response):
                for budget in budgets:
                    limiter.hit(*budget)
            return response

        return wrapper

    return decorator


def hit_limit(setting: str, scope: str, key: str, message: str) -> None:
    """Count one hit of ``key`` against the budget of ``setting`` (its scope prefixed
    with ``RATELIMIT_KEY_PREFIX``); raise ``RateLimited`` with ``message`` past it."""
    if not _enabled():
        return
    config, limiter = current_app.config, strategy()
    for item in _items(config[setting]):
        budget = (item, f"{config['RATELIMIT_KEY_PREFIX']}{scope}", key)
        if not limiter.hit(*budget):
            raise _refuse(budget, message)

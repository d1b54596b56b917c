"""Failed logins, counted per (account, address) and per address; never successes.

A wrong password (or a wrong second-factor code) counts once against the pair
(e-mail typed, client address) and once against the address. Past either budget
(``RATELIMIT_LOGIN_ACCOUNT``, ``RATELIMIT_LOGIN``), that address is refused for that
account, or for every account, until the window ends, before any password is checked.
The owner of the account, from any other address, still logs in: an attacker can lock
themselves out, not the people they attack. Unknown e-mails are counted exactly like
known ones, so the answers never reveal whether an account exists.

The counters live in the rate-limit storage: Redis when ``REDIS_URL`` is set, shared by
every worker and server, as every other limit; in memory, per process, otherwise (one
process in development). They are kept here and not in the database because only the
edge of a request knows the address, a failure's rollback must not undo its count, and
they expire by themselves. The counters hold a digest of the e-mail, never the e-mail.
The throttle applies even when ``RATELIMIT_ENABLED`` is off (tests, benchmarks): it is a
lock, not a courtesy.
"""

from __future__ import annotations

import hashlib
import math
import time
from functools import lru_cache

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, RateLimiter

EXTENSION = "passnum.login_throttle"


def install(app: Flask) -> None:
    """Give ``app`` its failure counters, in the rate-limit storage."""
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"],
                                  **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}))
    app.extensions[EXTENSION] = FixedWindowRateLimiter(storage)


@lru_cache(maxsize=16)
def _items(limits: str) -> tuple[RateLimitItem, ...]:
    """The parsed limits (``"5 per 15 minutes"``), parsed once."""
    return tuple(parse_many(limits))


def _account_counters(email: str, ip: str | None) -> list[tuple[RateLimitItem, str, str]]:
    """(limit, scope, key) of the pair's budget: this e-mail from this address."""
    config = current_app.config
    account = hashlib.sha256(email.encode()).hexdigest()[:32]
    return [(item, f"{config['RATELIMIT_KEY_PREFIX']}login-failures-account",
             f"{account}@{ip or '-'}") for item in _items(config["RATELIMIT_LOGIN_ACCOUNT"])]


def _counters(email: str, ip: str | None) -> list[tuple[RateLimitItem, str, str]]:
    """(limit, scope, key) of the two budgets one failure counts against."""
    config = current_app.config
    return [*_account_counters(email, ip),
            *((item, f"{config['RATELIMIT_KEY_PREFIX']}login-failures-ip", ip or "-")
              for item in _items(config["RATELIMIT_LOGIN"]))]


def _strategy() -> RateLimiter:
    return current_app.extensions[EXTENSION]


def wait_seconds(email: str, ip: str | None) -> int:
    """Seconds before ``ip`` may try ``email`` again; 0 when it may now."""
    strategy, waits = _strategy(), [0]
    for item, scope, key in _counters(email, ip):
        if not strategy.test(item, scope, key):
            reset = strategy.get_window_stats(item, scope, key).reset_time
            waits.append(max(1, math.ceil(reset - time.time())))
    return max(waits)


def count_failure(email: str, ip: str | None) -> bool:
    """Count one failed attempt; True when it used up a budget (the next one waits)."""
    strategy, spent = _strategy(), False
    for item, scope, key in _counters(email, ip):
        strategy.hit(item, scope, key)
        spent = spent or not strategy.test(item, scope, key)
    return spent


def forget_failures(email: str, ip: str | None) -> None:
    """A complete login wipes the pair's failures (the address's own budget remains)."""
    strategy = _strategy()
    for item, scope, key in _account_counters(email, ip):
        strategy.clear(item, scope, key)

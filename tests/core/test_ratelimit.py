"""The in-process rate-limit storage: one sweeper thread, not a thread per hit."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from passnum.core import ratelimit
from passnum.core.ratelimit import PRIVATE_NAMES, SweptMemoryStorage
from tests.conftest import make_app


def _wait_until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_the_app_counts_in_the_swept_storage_without_redis(tmp_path: Path,
                                                           request: pytest.FixtureRequest):
    app = make_app("sqlite", tmp_path, request, RATELIMIT_ENABLED=True)
    assert app.config["RATELIMIT_STORAGE_URI"] == "passnum-memory://"
    with app.app_context():
        assert isinstance(ratelimit.strategy().storage, SweptMemoryStorage)
    # the views' limits are checked by their decorators, nothing before every request
    hooks = app.before_request_funcs.get(None, [])
    assert not [hook for hook in hooks if "limit" in getattr(hook, "__module__", "")]


def test_the_private_names_the_sweeper_relies_on_still_exist():
    """limits is pinned exactly (pyproject.toml): on an upgrade that renames the timer's
    private methods, this fails instead of the sweeper going quietly unused."""
    for name in PRIVATE_NAMES:
        assert callable(getattr(MemoryStorage, name, None)), name
    assert PRIVATE_NAMES[0] in SweptMemoryStorage.__dict__


@pytest.mark.parametrize("strategy", [FixedWindowRateLimiter, MovingWindowRateLimiter])
def test_hits_start_one_thread_whatever_their_pace(strategy, monkeypatch: pytest.MonkeyPatch):
    storage = SweptMemoryStorage("passnum-memory://")
    started: list[str] = []
    original_start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        original_start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    limits = strategy(storage)
    item = parse("1000 per minute")
    for _ in range(30):
        assert limits.hit(item, "code-check-user", "user:1")
        time.sleep(0.015)  # longer than the original timer's 10 ms: it would start again
    assert started == ["ratelimit-sweeper"]
    assert limits.get_window_stats(item, "code-check-user", "user:1").remaining == 970


def test_expired_counters_are_swept_live_ones_kept(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(SweptMemoryStorage, "SWEEP_SECONDS", 0.01)
    storage = SweptMemoryStorage("passnum-memory://")
    storage.incr("live", expiry=3600)
    storage.incr("gone", expiry=0.05)
    assert _wait_until(lambda: "gone" not in storage.storage)
    assert storage.get("live") == 1 and "live" in storage.expirations


def test_the_sweeper_ends_with_its_storage(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(SweptMemoryStorage, "SWEEP_SECONDS", 0.01)
    storage = SweptMemoryStorage("passnum-memory://")
    storage.incr("k", expiry=60)
    sweeper = storage._sweeper
    assert sweeper.is_alive()
    del storage
    # gone once collected (limits' own first timer holds it in a cycle)
    assert _wait_until(lambda: gc.collect() is not None and not sweeper.is_alive())

"""Login throttling shared by every worker through Redis (``REDIS_URL``)."""

from __future__ import annotations

import os
import uuid

import pytest

from passnum import config
from tests.conftest import IsolatedClient, make_app, unavailable

REDIS_URL = os.environ.get("PASSNUM_TEST_REDIS_URL", "")


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis, or a skip (a failure under CI)."""
    if not REDIS_URL:
        unavailable("Redis tests need PASSNUM_TEST_REDIS_URL")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as err:
        unavailable(f"Redis unreachable at PASSNUM_TEST_REDIS_URL: {err}")
    return REDIS_URL


def test_redis_url_selects_the_shared_storage(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    cfg = config.load(str(tmp_path), {"SECRET_KEY": "k" * 32, "VOUCHER_KEYS": ["v" * 32]})
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_two_workers_share_one_login_limit(redis_url, tmp_path, request):
    """Ten failed attempts per minute from one address, whichever worker answers them."""
    prefix = f"passnum-test-{uuid.uuid4().hex[:8]}"  # this run's own counters
    workers = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        app = make_app("sqlite", tmp_path / name, request, RATELIMIT_ENABLED=True,
                       RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix,
                       RATELIMIT_LOGIN="10 per minute", RATELIMIT_LOGIN_ACCOUNT="10 per minute")
        app.test_client_class = IsolatedClient
        workers.append(app)
    statuses = []
    for attempt in range(12):
        app = workers[attempt % 2]
        with app.app_context():
            response = app.test_client().post(
                "/connexion", data={"email": "nobody@example.org", "password": "wrong"})
            statuses.append(response.status_code)
    assert statuses[:10] == [422] * 10 and statuses[10:] == [429, 429]


def test_instances_sharing_one_redis_keep_their_own_code_check_counters(redis_url, tmp_path,
                                                                        request):
    """Two workers of one instance share a voucher-link budget; another instance (its own
    ``RATELIMIT_KEY_PREFIX``) on the same Redis keeps its own."""
    run = uuid.uuid4().hex[:8]
    apps = []
    for name, prefix in (("a", f"one-{run}/"), ("b", f"one-{run}/"), ("c", f"two-{run}/")):
        (tmp_path / name).mkdir()
        app = make_app("sqlite", tmp_path / name, request, RATELIMIT_ENABLED=True,
                       RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix,
                       RATELIMIT_VOUCHER_LINKS="2 per minute")
        app.test_client_class = IsolatedClient
        apps.append(app)

    def opened(app) -> int:
        with app.app_context():
            return app.test_client().get("/v/forged.signature").status_code

    assert [opened(apps[0]), opened(apps[1]), opened(apps[0])] == [400, 400, 429]
    assert [opened(apps[2]), opened(apps[2]), opened(apps[2])] == [400, 400, 429]

"""Test set-up: a fresh app and database per test, on SQLite and on PostgreSQL.

PostgreSQL tests run when ``PASSNUM_TEST_POSTGRES_URL`` names a server (``.ci/run``
sets it). Without it they skip with a one-line reason; under ``CI=true`` a missing or
unreachable server makes them fail instead.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from passnum import create_app
from passnum.core.logging import JsonFormatter
from passnum.extensions import db
from tests import logcapture
from tests.mailserver import MailServer

PG_URL = os.environ.get("PASSNUM_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI") == "true"

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-0123456789",
    "VOUCHER_KEYS": ["test-voucher-key-0123456789"],
    "AUDIT_KEYS": ["test-audit-key-0123456789"],
    # no anchor file in the shared instance folder: ``make_app`` gives each test its own
    "AUDIT_ANCHOR_PATH": "",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "BASE_URL": "http://passnum.test",
    # scrypt costs ~0.1 s a hash: a cheap method keeps the suite fast; production
    # keeps the default
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}


LAST_MODULE = "test_no_personal_data_in_logs.py"


def pytest_configure(config: pytest.Config) -> None:
    """Keep every log record of the run, and note every beneficiary created."""
    logcapture.install()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the personal-data-in-logs check last, once every other test has logged."""
    items.sort(key=lambda item: item.path.name == LAST_MODULE)


def unavailable(reason: str) -> None:
    """Skip on a developer's machine, fail in CI, when a service is missing."""
    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


def _pg_admin_url() -> str:
    return PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def fresh_postgres_database(prefix: str = "passnum_test") -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, drop it."""
    if not PG_URL:
        unavailable("PostgreSQL tests need PASSNUM_TEST_POSTGRES_URL")
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as err:
        unavailable(f"PostgreSQL unreachable at PASSNUM_TEST_POSTGRES_URL: {err}".splitlines()[0])
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{_pg_admin_url().rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for this test session."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def _pg_schema(postgres_url: str) -> str:
    """Create the schema once per session on PostgreSQL."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": postgres_url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return postgres_url


def _truncate_all() -> None:
    """Empty every table. The audit log refuses TRUNCATE: the test server's superuser
    lifts that for this transaction (ordinary triggers do not fire for a replica)."""
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


def make_app(backend: str, tmp_path: Path, request: pytest.FixtureRequest, **extra) -> Flask:
    """Build an app on ``backend`` with an empty schema and its own audit anchor file."""
    extra.setdefault("AUDIT_ANCHOR_PATH", str(tmp_path / "audit-anchor.log"))
    if backend == "postgres":
        url = request.getfixturevalue("_pg_schema")
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **extra})
        with app.app_context():
            _truncate_all()
        return app
    url = f"sqlite:///{tmp_path / 'passnum.sqlite3'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **extra})
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each database-backed test runs on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def app(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """A fresh app and empty database, with an application context pushed."""
    app = make_app(backend, tmp_path, request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """A fresh app on SQLite only, for tests about HTTP rather than the database."""
    app = make_app("sqlite", tmp_path, request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose requests each run in a fresh application context.

    Flask would otherwise reuse the test's application context for the request, sharing
    ``g`` (Flask-Login's cached user) and the database session, which a real server never
    does. The test's own transaction is ended first so SQLite's write lock is free.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send the request from a fresh application context."""
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> IsolatedClient:
    """An isolated test client of ``app``."""
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def mail(app: Flask) -> Iterator[MailServer]:
    """An SMTP server (no account, no TLS: a local relay) that ``app`` sends through."""
    server = MailServer().start()
    app.config["SMTP_URL"] = server.url
    yield server
    server.stop()


class JsonLines(logging.Handler):
    """Keep each record as the JSON line production would write."""

    def __init__(self) -> None:
        """Format with the production formatter."""
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the formatted line."""
        self.lines.append(self.format(record))

    def entries(self) -> list[dict]:
        """Every line parsed (each must be one JSON object)."""
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def json_lines() -> Iterator[JsonLines]:
    """The JSON lines of the ``passnum`` loggers during the test."""
    handler = JsonLines()
    logger = logging.getLogger("passnum")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)

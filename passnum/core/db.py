"""Database helpers: the unit of work owned by the edge, after-commit hooks, UTC times."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache, wraps
from typing import Any, ParamSpec, TypeVar, cast

import psycopg
from flask import Flask, current_app, g, has_app_context
from sqlalchemy import DateTime, event
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.types import TypeDecorator

from passnum.errors import AuditNote, DomainError
from passnum.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Store aware datetimes as UTC; refuse naive ones."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Return aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@cache
def driver_sql(statement: Any) -> str:
    """``statement`` (Core or ``text()``) compiled once for PostgreSQL with psycopg's
    ``%(name)s`` placeholders, for ``driver_rows``."""
    return str(statement.compile(dialect=postgresql_psycopg.dialect()))


def driver_rows(statement: Any, params: dict[str, Any], *,
                hide_parameters: bool = False) -> list[tuple[Any, ...]]:
    """PostgreSQL: run ``statement`` on the session's own connection, inside its
    transaction, straight on the driver (prepared), and return its rows as tuples.

    For the few statements that every redemption runs, SQLAlchemy's execution layer
    costs more than the statements themselves. What that layer does that matters here
    is kept: a lost connection is invalidated and the error surfaces as SQLAlchemy's
    own (``OperationalError``: 503, nothing written, the retry gets a new connection).
    Results are not typed by the columns, but times come back in UTC as the columns'.
    ``hide_parameters`` keeps the parameters out of the error (secrets among them).
    """
    sql = driver_sql(statement)
    connection = db.session.connection()
    driver: Any = connection.connection.driver_connection
    try:
        found = driver.execute(sql, params, prepare=True).fetchall()
    except psycopg.Error as err:
        lost = connection.dialect.is_disconnect(cast(Any, err),
                                                connection.connection.dbapi_connection, None)
        if lost:
            connection.invalidate(err)
        raise DBAPIError.instance(sql, params, err, psycopg.Error,
                                  hide_parameters=hide_parameters,
                                  connection_invalidated=lost,
                                  dialect=connection.dialect) from err
    return [tuple(_utc(value) for value in row) for row in found]


def _utc(value: Any) -> Any:
    """Times in UTC, as ``UTCDateTime`` gives them."""
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def fetch(statement: Any, params: dict[str, Any], *, postgresql: Any = None) -> list[Any]:
    """The rows of ``statement``: on PostgreSQL through ``driver_rows`` (of
    ``postgresql``, its form for that database, when given), elsewhere through the
    session (where a statement costs no round trip)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return driver_rows(postgresql if postgresql is not None else statement, params)
    return list(db.session.execute(statement, params).all())


# app.extensions key of the function recording a refusal's audit note (the audit domain's:
# core knows no domain, so the application hands it over, see ``record_refusals_with``)
REFUSAL_RECORDER = "passnum.refusal_recorder"


def record_refusals_with(app: Flask, recorder: Callable[[AuditNote], object]) -> None:
    """Have ``unit_of_work`` record the audit note of a refusal with ``recorder``."""
    app.extensions[REFUSAL_RECORDER] = recorder


def on_commit(hook: Callable[[], object]) -> None:
    """Run ``hook`` after the current unit of work commits (dropped on rollback)."""
    g.setdefault("_after_commit", []).append(hook)


def _run_after_commit() -> None:
    hooks = g.pop("_after_commit", []) if has_app_context() else []
    for hook in hooks:
        hook()


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit once at the end; on a refusal roll back, then keep its audit note.

    Services only flush. A ``DomainError`` carrying an ``audit`` note (or an
    ``after_rollback`` change) has it recorded in a fresh transaction after the
    rollback, so refused attempts stay in the audit log (with the recorder that
    ``record_refusals_with`` gave the application: a missing one fails loudly).
    """
    try:
        yield
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        g.pop("_after_commit", None)
        if err.audit is not None or err.after_rollback is not None:
            if err.audit is not None:
                current_app.extensions[REFUSAL_RECORDER](err.audit)
            if err.after_rollback is not None:
                err.after_rollback()
            db.session.commit()
        raise
    except BaseException:
        db.session.rollback()
        g.pop("_after_commit", None)
        raise
    _run_after_commit()


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a view or command so that it runs in one unit of work."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return fn(*args, **kwargs)

    return wrapper


# A pooled connection left unused this long is checked (one round trip) before it serves
# again, so that a database restarted meanwhile costs no request. A connection in steady
# use is not checked on every request (that would be a round trip each): one whose server
# process was lost fails its statement, the request answers 503 with Retry-After and
# writes nothing, the pool drops the connection, and the client's retry gets a new one.
IDLE_PING_SECONDS = 10.0


def install_idle_ping(app: Flask) -> None:
    """Check the connections of ``app``'s engine that come back from an idle spell."""
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            raise DisconnectionError("connection lost while idle") from err


_pragmas_installed = False


def install_sqlite_pragmas() -> None:
    """Make SQLite safe for concurrent use: WAL, foreign keys, immediate write locks.

    ``BEGIN IMMEDIATE`` takes the write lock at the start of each transaction, so a
    read-then-write transaction cannot fail with SQLITE_BUSY half-way; the busy timeout
    makes others wait their turn instead of failing.
    """
    global _pragmas_installed
    if _pragmas_installed:
        return
    _pragmas_installed = True

    @event.listens_for(Engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    @event.listens_for(Engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")

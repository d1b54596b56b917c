"""Alembic environment, run by Flask-Migrate (``flask --app passnum db …``).

The same revisions build the schema on SQLite (the embedded default) and PostgreSQL:
SQLite runs in batch mode so that later revisions can alter its tables, types are
compared so that a changed column shows up in ``flask db migrate``, and the models'
``UTCDateTime`` is written into revisions as a plain ``sa.DateTime(timezone=True)`` so
that revisions never import application code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import MigrationScript
from flask import current_app
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator

config = context.config

# Configure logging for the command line only: a host process that set up its own
# (a test run, a server applying migrations) keeps its handlers and levels.
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine() -> Engine:
    """The engine of the Flask-SQLAlchemy extension the app was built with."""
    return current_app.extensions["migrate"].db.engine


def get_metadata() -> MetaData:
    """The models' metadata (with the constraint naming convention)."""
    return current_app.extensions["migrate"].db.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render the application's type decorators as their plain SQLAlchemy implementation.

    ``passnum.core.db.UTCDateTime`` only converts values in Python; in the database it
    is ``DateTime(timezone=True)``, which is what a revision must create.
    """
    if (
        type_ == "type"
        and isinstance(obj, TypeDecorator)
        and not type(obj).__module__.startswith("sqlalchemy.")
    ):
        return f"sa.{obj.impl_instance!r}"
    return False


def process_revision_directives(
    migration_context: Any, revision: Any, directives: list[MigrationScript]
) -> None:
    """Write no empty revision when autogenerate finds no change."""
    if getattr(config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops is not None and script.upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")


def configure_options(dialect_name: str) -> dict[str, Any]:
    """The options shared by online and offline runs."""
    options: dict[str, Any] = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", process_revision_directives)
    options.setdefault("compare_type", True)
    options.setdefault("compare_server_default", True)
    options.setdefault("render_item", render_item)
    # SQLite cannot ALTER most things: batch mode copies the table instead.
    options.setdefault("render_as_batch", dialect_name == "sqlite")
    # The app opens SQLite transactions itself (BEGIN IMMEDIATE), so DDL is
    # transactional there too: a failing revision leaves nothing half done.
    options.setdefault("transactional_ddl", True)
    return options


def run_migrations_offline() -> None:
    """Write the SQL to standard output instead of running it (``--sql``)."""
    url = get_engine().url
    context.configure(
        url=url.render_as_string(hide_password=False),
        target_metadata=get_metadata(),
        literal_binds=True,
        **configure_options(url.get_backend_name()),
    )
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, suspend foreign keys while revisions run, then check them.

    Batch mode rebuilds a table by copying and dropping it, which enforced foreign keys
    would refuse for a referenced table. The pragma only works outside a transaction,
    so it goes to the driver connection before Alembic begins one; the pooled
    connection gets its enforcement back whatever happens.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the SQLite connection is closed")
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    """Run the revisions on the app's database, in one transaction."""
    with get_engine().connect() as connection, sqlite_foreign_keys_off(connection):
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **configure_options(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

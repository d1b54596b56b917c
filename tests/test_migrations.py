"""The Alembic revisions build exactly the models' schema, on SQLite and PostgreSQL.

Each test starts from an empty database (a fresh file, or a fresh PostgreSQL database
rather than the session's ``create_all`` one), runs ``flask db upgrade`` and compares
the result with the models the way ``flask db migrate`` would: any difference means a
model changed without a revision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import CheckConstraint, Connection, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from passnum import ROOT, create_app
from passnum.audit.services import verify
from passnum.extensions import db
from tests.audit.tampering import unkeyed_hash
from tests.conftest import TEST_CONFIG, fresh_postgres_database

# Autogenerate does not compare index predicates: these are checked by hand.
PARTIAL_UNIQUE_INDEXES = {
    "uq_booklets_live_beneficiary": ("booklets", ["revoked", "beneficiary_id IS NOT NULL"]),
    "uq_redemption_lines_live_voucher": ("redemption_lines", ["undone_at IS NULL"]),
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database (no tables at all), with its context pushed."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        else:
            url = stack.enter_context(fresh_postgres_database("passnum_migrations"))
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            assert inspect(db.engine).get_table_names() == []
            yield app
            db.session.remove()
            db.engine.dispose()


def schema_diff(connection: Connection) -> list:
    """What ``flask db migrate`` would generate against this database."""
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "compare_server_default": True,
              "target_metadata": db.metadata},
    )
    return compare_metadata(context, db.metadata)


def index_definitions(connection: Connection) -> dict[str, str]:
    """The SQL of each partial unique index, as the database stores it."""
    names = list(PARTIAL_UNIQUE_INDEXES)
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        ).all()
    else:
        rows = connection.execute(text("SELECT indexname, indexdef FROM pg_indexes")).all()
    return {name: sql for name, sql in rows if name in names}


def test_one_head_only() -> None:
    """Revisions form one line: two engineers' revisions on the same parent must merge."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    # passnum/migrations links to the repository's migrations/ (the folder itself once
    # installed from a wheel)
    assert Path(config.get_main_option("script_location")).resolve() == ROOT / "migrations"


def test_upgrade_builds_exactly_the_models_schema(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        assert schema_diff(connection) == []
        tables = set(inspect(connection).get_table_names())
    assert tables == {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}


def test_upgrade_creates_named_check_constraints(empty_app: Flask) -> None:
    """Autogenerate ignores CHECK constraints: compare their names table by table."""
    flask_migrate.upgrade()
    inspector = inspect(db.engine)
    for table in db.metadata.sorted_tables:
        expected = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == expected, table.name


def test_upgrade_creates_partial_unique_indexes(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        definitions = index_definitions(connection)
    assert set(definitions) == set(PARTIAL_UNIQUE_INDEXES)
    for name, (table, predicate_parts) in PARTIAL_UNIQUE_INDEXES.items():
        sql = definitions[name]
        assert sql.upper().startswith("CREATE UNIQUE INDEX"), sql
        assert f" {table} " in sql.replace("public.", ""), sql
        where = sql.upper().split(" WHERE ", 1)[1]
        for part in predicate_parts:
            assert part.upper() in where, sql


def test_partial_index_allows_a_replacement_after_revocation(empty_app: Flask) -> None:
    """The migrated index enforces the rule, not just exists: live booklets only."""
    flask_migrate.upgrade()
    booklet = (
        "INSERT INTO booklets (number, programme_id, structure_id, departement_id, "
        "beneficiary_id, status, valid_from, expires_on, issued_at, printed_count) "
        "VALUES (:number, 1, 1, 1, 1, :status, '2024-01-01', '2024-12-31', "
        "'2024-01-01 10:00:00+00', 0)"
    )
    with db.engine.begin() as connection:
        for statement in (
            "INSERT INTO departements (id, code, name) VALUES (1, '78', 'Yvelines')",
            "INSERT INTO programmes (id, name, starts_on, ends_on, target_beneficiaries, "
            "budget_cents, vouchers_per_booklet, voucher_value_cents, validity_months, "
            "created_at) VALUES (1, 'P', '2024-01-01', '2024-12-31', 1, 1, 10, 1000, 12, "
            "'2024-01-01 10:00:00+00')",
            "INSERT INTO structures (id, name, kind, departement_id, address, postal_code, "
            "commune, is_active, created_at) VALUES (1, 'S', 'ccas', 1, '', '', '', true, "
            "'2024-01-01 10:00:00+00')",
            "INSERT INTO beneficiaries (id, structure_id, first_name, last_name, "
            "postal_code, need, consent_at, consent_text_version, created_at) VALUES "
            "(1, 1, 'A', 'B', '78000', '', '2024-01-01 10:00:00+00', 'v1', "
            "'2024-01-01 10:00:00+00')",
        ):
            connection.execute(text(statement))
        connection.execute(text(booklet), {"number": "78-A", "status": "revoked"})
        connection.execute(text(booklet), {"number": "78-B", "status": "handed_out"})
    with pytest.raises(IntegrityError, match=r"(?i)unique"), db.engine.begin() as connection:
        connection.execute(text(booklet), {"number": "78-C", "status": "handed_out"})


def voucher_triggers(connection: Connection) -> set[str]:
    """Names of the triggers on ``vouchers``."""
    if connection.dialect.name == "postgresql":
        query = ("SELECT tgname FROM pg_trigger WHERE tgrelid = 'vouchers'::regclass "
                 "AND NOT tgisinternal")
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'vouchers'"
    return set(connection.execute(text(query)).scalars())


def test_upgrade_keeps_the_replacement_triggers_as_create_all_makes_them(
        empty_app: Flask) -> None:
    """At head the vouchers carry the triggers that guard replacements (a later batch
    migration rebuilding the table on SQLite must create them again)."""
    wanted = {"vouchers_replacement_source", "vouchers_revoked_stays"}
    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        assert voucher_triggers(connection) == wanted
    flask_migrate.downgrade(revision="806a9e89309c")
    with db.engine.connect() as connection:
        assert voucher_triggers(connection) == set()
    db.drop_all()
    db.create_all()
    with db.engine.connect() as connection:
        assert voucher_triggers(connection) == wanted


def test_downgrade_to_base_leaves_only_the_version_table(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            leftovers = connection.execute(text(
                "SELECT relname FROM pg_class JOIN pg_namespace n ON n.oid = relnamespace "
                "WHERE nspname = 'public' AND relname <> 'alembic_version' "
                "AND relname NOT LIKE 'alembic_version%'"
            )).scalars().all()
        assert leftovers == []
    flask_migrate.upgrade()  # and the way back up still works
    with db.engine.connect() as connection:
        assert schema_diff(connection) == []


def _legacy_log(connection: Connection, count: int) -> None:
    """Audit events as the unkeyed chain wrote them before the key (plain SHA-256)."""
    prev = "0" * 64
    for seq in range(1, count + 1):
        event = SimpleNamespace(seq=seq, created_at=datetime(2026, 1, 2, 3, 4, seq, tzinfo=UTC),
                                actor_id=None, action="booklet.issued",
                                object_type="booklet", object_id=str(seq),
                                details='{"n": 1}', ip=None)
        digest = unkeyed_hash(event, prev)
        connection.execute(text(
            "INSERT INTO audit_events (seq, created_at, actor_id, action, object_type, "
            "object_id, details, ip, prev_hash, hash) VALUES (:seq, :created_at, NULL, "
            ":action, :object_type, :object_id, :details, NULL, :prev, :hash)"),
            {**vars(event), "prev": prev, "hash": digest})
        prev = digest
    connection.execute(text("INSERT INTO audit_head (id, last_seq, last_hash) "
                            "VALUES (1, :seq, :hash)"), {"seq": count, "hash": prev})


def test_upgrade_chains_the_existing_log_under_the_key(empty_app: Flask) -> None:
    """Events chained before the key verify after the upgrade, and the table refuses
    changes from then on."""
    flask_migrate.upgrade(revision="806a9e89309c")
    with db.engine.begin() as connection:
        _legacy_log(connection, 7)
    flask_migrate.upgrade()
    result = verify()
    db.session.rollback()  # SQLite: the write lock goes back
    assert result.ok and result.checked == 7, result.reason
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 7"))
    flask_migrate.downgrade(revision="806a9e89309c")  # and back to the unkeyed chain
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 7"))
        connection.execute(text("UPDATE audit_head SET last_seq = 6, last_hash = "
                                "(SELECT hash FROM audit_events WHERE seq = 6)"))


def test_upgrade_refuses_to_key_a_damaged_log(empty_app: Flask,
                                              caplog: pytest.LogCaptureFixture) -> None:
    flask_migrate.upgrade(revision="806a9e89309c")
    with db.engine.begin() as connection:
        _legacy_log(connection, 4)
        connection.execute(text("UPDATE audit_events SET action = 'forged' WHERE seq = 3"))
    with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
        flask_migrate.upgrade()
    assert "Journal d'audit altéré à l'entrée n° 3" in caplog.text


def test_upgrade_fills_the_reach_facts_of_the_booklets_already_issued(empty_app: Flask) -> None:
    """c4e8a1f2b9d6 writes, for booklets issued before it, the facts the issue writes."""
    from passnum.booklets import reach_facts
    from passnum.booklets.models import Booklet
    from passnum.core import clock
    from tests.factories import World, issue, make_beneficiary

    flask_migrate.upgrade()
    world = World()
    person = make_beneficiary(world.issuer78, birth_date="1965-04-01")
    with clock.frozen(datetime(2026, 3, 31, 22, 30, tzinfo=UTC)):  # 1 April in Paris
        booklet_id = issue(world.issuer78, person).id
    db.session.remove()
    flask_migrate.downgrade(revision="b7c1d9e2f3a4")
    flask_migrate.upgrade()
    booklet = db.session.get(Booklet, booklet_id)
    assert booklet is not None
    assert (booklet.reached_on.isoformat(), booklet.holder_age) == ("2026-04-01", 61)
    assert reach_facts.differences() == []

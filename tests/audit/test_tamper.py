"""The audit log cannot be rewound: the chain is keyed (HMAC), its head is anchored
outside the database, and the table refuses updates and deletions.

Each attack is made as someone with full write access to the database but without the
audit key or the anchor file; ``audit verify`` must exit 1 and name the damage.
"""

from __future__ import annotations

import json
import os
import re
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from passnum import create_app
from passnum.audit.chain import padded_keys
from passnum.audit.models import AuditEvent
from passnum.audit.services import record, verify
from passnum.config import load, write_instance_secrets
from passnum.core.db import unit_of_work
from passnum.extensions import db
from tests.audit.tampering import delete_from, rewrite_from
from tests.conftest import TEST_CONFIG

HEAD = re.compile(r"\b(\d+):([0-9a-f]{64})\b")


def _events(n: int) -> None:
    with unit_of_work():
        for i in range(n):
            record("test.event", actor_id=None, object_type="thing", object_id=i,
                   details={"i": i})


def _verify(app, *args: str):
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify", *args])
    db.session.rollback()
    return result


def test_an_intact_log_verifies_and_prints_its_head(app):
    _events(5)
    result = _verify(app)
    assert result.exit_code == 0, result.output
    seq, digest = HEAD.search(result.output).groups()
    assert int(seq) == 5
    assert digest == db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 5))
    assert _verify(app, "--expect-head", f"{seq}:{digest}").exit_code == 0


def test_deleted_last_rows_are_detected(app):
    _events(5)
    assert _verify(app).exit_code == 0  # the anchor now holds entry 5
    delete_from(4)
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert "dernières entrées supprimées" in result.output


def test_rewritten_head_is_detected(app):
    _events(5)
    rewrite_from(5, details='{"i": 99}')
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert "dernière entrée réécrite" in result.output and "n° 5" in result.output


def test_wiped_log_is_detected(app):
    _events(5)
    assert _verify(app).exit_code == 0
    delete_from(1)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    result = _verify(app)
    assert result.exit_code == 1
    assert "journal vidé" in result.output


def test_rewritten_event_with_recomputed_chain_is_detected(app):
    _events(5)
    rewrite_from(2, action="booklet.issued", details='{"i": 7}')
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert "entrée n° 2 réécrite" in result.output


def test_an_operator_kept_head_catches_a_rewind_without_the_anchor_file(app):
    _events(5)
    kept = HEAD.search(_verify(app).output).group(0)
    delete_from(3)
    db.session.commit()
    anchor = app.config["AUDIT_ANCHOR_PATH"]
    assert anchor, "the tests anchor into their own temporary file"
    os.remove(anchor)  # several servers without a shared anchor: only the kept head
    result = _verify(app, "--expect-head", kept)
    assert result.exit_code == 1 and "dernières entrées supprimées" in result.output
    assert _verify(app, "--expect-head", "nonsense").exit_code == 2


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'forged'",
    "DELETE FROM audit_events WHERE seq = 2",
    "DELETE FROM audit_events",
])
def test_the_log_table_is_append_only(app, statement):
    _events(3)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 3


def test_truncate_is_refused_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _events(2)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_events CASCADE"))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_events_chained_under_another_key_do_not_verify(app):
    """The hash is keyed: the same rows read with another key are refused, and a key
    added by rotation keeps the older events verifiable."""
    _events(3)
    db.session.commit()
    same_data = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                 "AUDIT_ANCHOR_PATH": ""}
    other = create_app({**same_data, "AUDIT_KEYS": ["another-audit-key-0123456789"]})
    with other.app_context():
        result = other.test_cli_runner().invoke(args=["audit", "verify"])
        assert result.exit_code == 1 and "entrée n° 1 réécrite" in result.output
        db.session.remove()
        db.engine.dispose()
    rotated = create_app({**same_data, "AUDIT_KEYS": [
        *app.config["AUDIT_KEYS"], "the-next-audit-key-0123456789"]})
    with rotated.app_context():
        _events(2)
        assert rotated.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
        db.session.remove()
        db.engine.dispose()


def test_the_audit_key_stays_out_of_error_messages(app):
    """PostgreSQL gets the padded key as a parameter of the append: a failing append
    must not print it (error messages end up in logs)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite hashes in Python: no key goes to the database")
    inner, outer = padded_keys(app.config["AUDIT_KEYS"][-1])
    with pytest.raises(DBAPIError) as refused, unit_of_work():
        record("test.event", actor_id=None, ip="\x00")  # PostgreSQL refuses NUL in text
    message = str(refused.value)
    assert repr(inner)[2:20] not in message and repr(outer)[2:20] not in message
    assert "parameters hidden" in message


def test_an_old_secrets_file_gets_an_audit_key(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "VOUCHER_KEYS", "AUDIT_KEYS"):
        monkeypatch.delenv(f"PASSNUM_{name}", raising=False)
    write_instance_secrets(str(tmp_path), {"SECRET_KEY": "s" * 32, "VOUCHER_KEYS": ["v" * 32]})
    config = load(str(tmp_path), {"AUDIT_ANCHOR_PATH": ""})
    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert config["VOUCHER_KEYS"] == ["v" * 32]
    assert len(stored["AUDIT_KEYS"]) == 1 and config["AUDIT_KEYS"] == stored["AUDIT_KEYS"]
    assert load(str(tmp_path), {"AUDIT_ANCHOR_PATH": ""})["AUDIT_KEYS"] == stored["AUDIT_KEYS"]


def test_entries_appended_during_a_verify_are_not_damage(app):
    """Venues keep redeeming while an administrator checks the log: what is appended
    during the walk lies beyond the head the walk started from, never "damage"."""
    _events(300)
    db.session.commit()
    stop, appending = threading.Event(), threading.Event()

    def keep_appending() -> None:
        with app.app_context():
            while not stop.is_set():
                _events(1)
                appending.set()
            db.session.remove()

    appender = threading.Thread(target=keep_appending)
    appender.start()
    try:
        # a loaded machine may start the thread late: the checks begin once it appends
        assert appending.wait(timeout=30)
        results = []
        for _ in range(3):
            results.append(verify(batch=7))
            db.session.rollback()  # each check sees the log as it is now
    finally:
        stop.set()
        appender.join()
    assert [result.ok for result in results] == [True] * 3, [r.reason for r in results]
    assert results[-1].head is not None and results[-1].head.seq > 300
    assert verify().ok

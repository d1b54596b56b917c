"""The audit log is hash-chained: altering, deleting or inserting an entry is detected."""

import itertools

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError

from passnum.audit.models import AuditEvent
from passnum.audit.services import event_hash, record, verify
from passnum.core.db import unit_of_work
from passnum.errors import AuditNote, InvalidInput
from passnum.extensions import db
from tests.audit.tampering import as_attacker


def _events(n: int) -> list[AuditEvent]:
    with unit_of_work():
        events = [record("test.event", actor_id=None, object_type="thing", object_id=i,
                         details={"i": i}) for i in range(n)]
    return events


def test_chain_verifies_and_links(app):
    events = _events(5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    result = verify()
    assert result.ok and result.checked == 5


def test_database_and_python_hash_the_same_canonical_form(app):
    """On PostgreSQL the database completes and hashes the canonical form: the digest
    must be Python's to the bit, whatever the details hold (accents, quotes, escapes)."""
    with unit_of_work():
        record("test.event", actor_id=None, object_type="thing", object_id="x")
        odd = record("test.event", actor_id=None, object_type=None, object_id=None,
                     details={"motif": 'Déclaré « volé » \\ "n°2"\n\u2603', "n": [1, None]},
                     ip="2001:db8::1")
    stored = db.session.scalar(select(AuditEvent).where(AuditEvent.id == odd.id))
    assert stored.hash == event_hash(
        seq=stored.seq, prev_hash=stored.prev_hash, created_at=stored.created_at,
        actor_id=None, action="test.event", object_type=None, object_id=None,
        details=stored.details, ip="2001:db8::1")
    assert (stored.seq, stored.prev_hash, stored.hash) == (odd.seq, odd.prev_hash, odd.hash)
    assert "Déclaré" in stored.details and verify().ok


def test_altered_details_are_detected(app):
    _events(5)
    as_attacker()
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == 3)
                       .values(details='{"i": 99}'))
    db.session.commit()
    result = verify()
    assert not result.ok and result.bad_seq == 3


def test_deleted_entry_is_detected(app):
    _events(5)
    as_attacker()
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    db.session.commit()
    result = verify()
    assert not result.ok and result.bad_seq == 2


def test_deleted_tail_is_detected(app):
    _events(5)
    as_attacker()
    db.session.execute(delete(AuditEvent).where(AuditEvent.seq == 5))
    db.session.commit()
    assert not verify().ok


def test_inserted_entry_is_detected(app):
    events = _events(3)
    forged = AuditEvent(seq=4, created_at=events[-1].created_at, actor_id=None,
                        action="booklet.issued", object_type="booklet", object_id="1",
                        details="{}", prev_hash=events[-1].hash, hash="f" * 64)
    db.session.add(forged)
    db.session.commit()
    result = verify()
    assert not result.ok and result.bad_seq == 4


def test_rehashed_forgery_is_detected_by_the_head(app):
    from passnum.audit.services import event_hash

    events = _events(3)
    fields = dict(seq=4, prev_hash=events[-1].hash, created_at=events[-1].created_at,
                  actor_id=None, action="x", object_type=None, object_id=None,
                  details="{}", ip=None)
    db.session.add(AuditEvent(**fields, hash=event_hash(**fields)))
    db.session.commit()
    result = verify()
    assert not result.ok and result.damage == "head_row_moved"


def test_refusal_note_survives_the_rollback(app):
    try:
        with unit_of_work():
            record("should.vanish", actor_id=None)
            raise InvalidInput("non", audit=AuditNote("thing.refused", "thing", 7, {"r": 1}))
    except InvalidInput:
        pass
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions == ["thing.refused"]
    assert verify().ok


def test_sequence_is_unique_in_the_database(app):
    events = _events(1)
    db.session.add(AuditEvent(seq=events[0].seq, created_at=events[0].created_at,
                              action="dup", details="{}", prev_hash="0" * 64, hash="a" * 64))
    try:
        db.session.flush()
        raise AssertionError("duplicate seq accepted")
    except IntegrityError:
        db.session.rollback()
    assert db.session.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1

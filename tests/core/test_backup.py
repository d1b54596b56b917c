"""``backup`` then ``restore``: every voucher comes back in the state it had."""

from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.audit.services import verify
from passnum.booklets.models import Voucher
from passnum.booklets.services import revoke_booklet
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.redemptions import tallies
from passnum.redemptions.models import RedemptionLine
from passnum.redemptions.services import redeem, undo
from tests.factories import World, issue, make_beneficiary


def take(world, vouchers):
    with unit_of_work():
        return redeem([v.manual_code for v in vouchers], venue=world.venue78, workshop=None,
                      actor=world.agent78, channel="test")


def states() -> dict[str, tuple]:
    return {serial: (status, redeemed_at) for serial, status, redeemed_at in db.session.execute(
        select(Voucher.serial, Voucher.status, Voucher.redeemed_at))}


def live_lines() -> int:
    return db.session.scalar(select(func.count()).select_from(RedemptionLine)
                             .where(RedemptionLine.undone_at.is_(None)))


def test_a_restored_backup_holds_every_voucher_state(app, tmp_path):
    world = World()
    kept = issue(world.issuer78, make_beneficiary(world.issuer78))
    lost = issue(world.issuer92, make_beneficiary(world.issuer92))
    first = take(world, kept.vouchers[:3])
    with unit_of_work():
        revoke_booklet(world.issuer92, lost, reason="lost", note="")
    before, lines = states(), live_lines()
    assert {s for s, _ in before.values()} == {"issued", "redeemed", "revoked"}
    runner = app.test_cli_runner()
    target = tmp_path / "copy.backup"
    result = runner.invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0 and oct(target.stat().st_mode)[-3:] == "600"

    # life goes on after the backup...
    take(world, kept.vouchers[3:6])
    with unit_of_work():
        undo(first.id, actor=world.agent78)
    issue(world.issuer78, make_beneficiary(world.issuer78, last_name="Apres"))
    assert states() != before
    db.session.commit()

    # ...until the restore brings back the state of the backup, exactly
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert states() == before and live_lines() == lines
    assert verify().ok and tallies.differences() == []


def test_restore_refuses_a_missing_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "none"), "--yes"])
    assert result.exit_code != 0 and "introuvable" in result.output


def test_a_restore_reanchors_the_audit_log(app, tmp_path):
    """After a restore the anchor is ahead of the restored log: the restore says so,
    records itself in the log and anchors the restored head, and the log verifies."""
    world = World()
    issue(world.issuer78, make_beneficiary(world.issuer78))
    runner = app.test_cli_runner()
    target = tmp_path / "copy.backup"
    db.session.commit()
    assert runner.invoke(args=["backup", "--output", str(target)]).exit_code == 0
    issue(world.issuer78, make_beneficiary(world.issuer78, last_name="Apres"))
    db.session.commit()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # anchored after the backup

    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Journal d'audit ré-ancré" in result.output
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert last.action == "audit.reanchored" and f"{last.seq}:{last.hash}" in result.output

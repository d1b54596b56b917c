"""Command line: users create, demo (idempotent, never over other data), audit verify, keys."""

import json

from sqlalchemy import func, select, update

from passnum.audit.models import AuditEvent
from passnum.auth.models import User
from passnum.extensions import db
from passnum.programmes.models import Programme
from passnum.sample.demo import DEMO_PASSWORD, demo_accounts
from tests.audit.tampering import as_attacker
from tests.conftest import make_app
from tests.factories import World


def run(app, *args, **kw):
    return app.test_cli_runner().invoke(args=list(args), **kw)


def test_users_create_with_scope(app):
    world = World()
    result = run(app, "users", "create", "--email", "New.Manager@Example.org", "--role",
                 "manager", "--departement", "92", "--password", "long-enough-pw")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "new.manager@example.org"))
    assert user.role == "manager" and user.departement_id == world.d92.id
    result = run(app, "users", "create", "--email", "x@example.org", "--role", "issuer",
                 "--password", "long-enough-pw")
    assert result.exit_code != 0 and "structure" in result.output
    result = run(app, "users", "create", "--email", "x@example.org", "--role", "manager",
                 "--departement", "99", "--password", "long-enough-pw")
    assert result.exit_code != 0 and "Département inconnu" in result.output
    result = run(app, "users", "create", "--email", "new.manager@example.org", "--role",
                 "admin", "--password", "long-enough-pw")
    assert result.exit_code != 0 and "existe déjà" in result.output


def test_demo_loads_once_and_prints_logins(app):
    # the bare set: the history is tests/test_demo_history.py's
    result = run(app, "demo", "--sans-historique")
    assert result.exit_code == 0, result.output
    for email, _ in demo_accounts():
        assert email in result.output
    assert DEMO_PASSWORD in result.output
    users = db.session.scalar(select(func.count()).select_from(User))
    again = run(app, "demo", "--sans-historique")
    assert again.exit_code == 0 and "déjà présentes" in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == users == 7
    programme = db.session.scalar(select(Programme))
    assert programme.target_beneficiaries == 36_000
    assert sum(q.target_beneficiaries for q in programme.quotas) == 36_000


def test_demo_never_loads_over_other_data(app):
    World()
    result = run(app, "demo")
    assert "déjà des données" in result.output
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.email.like("%@demo.passnum.fr"))) == 0


def test_audit_verify_exit_codes(app):
    World()
    assert run(app, "audit", "verify").exit_code == 0
    as_attacker()
    db.session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(action="forged"))
    db.session.commit()
    result = run(app, "audit", "verify")
    assert result.exit_code == 1 and "n° 2" in result.output


def test_keys_rotate_appends_a_key(tmp_path, request, monkeypatch):
    monkeypatch.delenv("PASSNUM_VOUCHER_KEYS", raising=False)
    app = make_app("sqlite", tmp_path, request)
    secrets_file = tmp_path / "instance" / "secrets.json"
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        run(app, "keys", "rotate")  # first call creates the file with one key, then adds one
    keys = json.loads(secrets_file.read_text())["VOUCHER_KEYS"]
    assert len(keys) == 2 and keys[0] != keys[1]


def test_redeem_and_undo_from_the_command_line(app):
    from tests.factories import issue, make_beneficiary

    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    code = booklet.vouchers[0].manual_code
    result = run(app, "redemptions", "redeem", "--agent", world.agent78.email, "--code", code)
    assert result.exit_code == 0 and booklet.vouchers[0].serial in result.output
    again = run(app, "redemptions", "redeem", "--agent", world.agent78.email, "--code", code)
    assert again.exit_code != 0 and "already_redeemed" in again.output
    redemption_id = result.output.split("n° ")[1].split(" ")[0]
    undone = run(app, "redemptions", "undo", "--agent", world.agent78.email, redemption_id)
    assert undone.exit_code == 0, undone.output
    bad = run(app, "redemptions", "redeem", "--agent", world.issuer78.email, "--code", code)
    assert bad.exit_code != 0 and "Aucun agent" in bad.output

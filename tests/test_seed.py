"""``flask --app passnum seed``: an empty database only, consistent counts, valid rows."""

from __future__ import annotations

from sqlalchemy import text

from passnum.auth.models import Role
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.sample.seed import SCALES, SEED_DOMAIN, SEED_PASSWORD, seed
from tests.conftest import make_app
from tests.factories import make_user


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def scalar(sql: str) -> int:
    return db.session.execute(text(sql)).scalar_one()


def test_seed_small_is_consistent(app):
    result = run(app, "seed", "--scale", "small", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert SEED_PASSWORD in result.output and f"manager78@{SEED_DOMAIN}" in result.output
    db.session.commit()
    assert scalar("SELECT COUNT(*) FROM beneficiaries") == SCALES["small"] == 360
    booklets = scalar("SELECT COUNT(*) FROM booklets WHERE replaces_booklet_id IS NULL")
    vouchers = scalar("SELECT COUNT(*) FROM vouchers")
    moved = scalar("SELECT COUNT(*) FROM vouchers WHERE replaces_voucher_id IS NOT NULL")
    assert vouchers == 10 * booklets + moved
    # a replacement carries exactly the revoked vouchers of the booklet it replaces
    assert scalar("SELECT COUNT(*) FROM vouchers v JOIN booklets b ON b.id = v.booklet_id "
                  "WHERE b.replaces_booklet_id IS NOT NULL") == moved
    assert scalar("SELECT COUNT(*) FROM vouchers v JOIN booklets b ON b.id = v.booklet_id "
                  "JOIN vouchers s ON s.id = v.replaces_voucher_id WHERE s.status <> "
                  "'revoked' OR s.booklet_id <> b.replaces_booklet_id") == 0
    assert scalar("SELECT COUNT(*) FROM booklets r JOIN booklets b ON b.id = "
                  "r.replaces_booklet_id JOIN vouchers s ON s.booklet_id = b.id WHERE "
                  "s.status = 'revoked' AND NOT EXISTS (SELECT 1 FROM vouchers v WHERE "
                  "v.replaces_voucher_id = s.id)") == 0
    # one live redemption line per redeemed voucher, and nothing else
    redeemed = scalar("SELECT COUNT(*) FROM vouchers WHERE status = 'redeemed'")
    assert redeemed == scalar("SELECT COUNT(*) FROM redemption_lines WHERE undone_at IS NULL")
    assert scalar("SELECT COUNT(*) FROM redemption_lines l JOIN vouchers v "
                  "ON v.id = l.voucher_id WHERE v.status <> 'redeemed'") == 0
    assert 0.45 < redeemed / vouchers < 0.75
    # every line is paid by its booklet's département, after issue and before expiry
    assert scalar("SELECT COUNT(*) FROM redemption_lines l JOIN vouchers v ON v.id = "
                  "l.voucher_id JOIN booklets b ON b.id = v.booklet_id "
                  "WHERE l.departement_id <> b.departement_id") == 0
    assert scalar("SELECT COUNT(*) FROM redemptions r JOIN redemption_lines l ON "
                  "l.redemption_id = r.id JOIN vouchers v ON v.id = l.voucher_id JOIN booklets "
                  "b ON b.id = v.booklet_id WHERE r.redeemed_at < b.issued_at "
                  "OR v.redeemed_at <> r.redeemed_at") == 0
    # counters: quota and allocations count the booklets that consumed a slot
    assert scalar("SELECT COUNT(*) FROM programme_quotas q WHERE q.booklets_issued <> ("
                  "SELECT COUNT(*) FROM booklets b WHERE b.departement_id = q.departement_id "
                  "AND b.replaces_booklet_id IS NULL)") == 0
    assert scalar("SELECT COUNT(*) FROM allocations a WHERE a.booklets_issued <> ("
                  "SELECT COUNT(*) FROM booklets b WHERE b.structure_id = a.structure_id "
                  "AND b.replaces_booklet_id IS NULL) OR a.booklets_issued > "
                  "a.booklets_allocated") == 0
    # revoked booklets: unused vouchers revoked; lost or stolen ones replaced
    revoked = scalar("SELECT COUNT(*) FROM booklets WHERE status = 'revoked'")
    assert revoked > 0
    assert scalar("SELECT COUNT(*) FROM vouchers v JOIN booklets b ON b.id = v.booklet_id "
                  "WHERE b.status = 'revoked' AND v.status = 'issued'") == 0
    assert scalar("SELECT COUNT(*) FROM booklets WHERE replaces_booklet_id IS NOT NULL") > 0
    assert scalar("SELECT COUNT(*) FROM booklets WHERE status = 'in_stock'") > 0
    assert scalar("SELECT COUNT(*) FROM booklets b JOIN structures s ON s.id = b.structure_id"
                  " WHERE s.departement_id <> b.departement_id") == 0
    assert scalar("SELECT COUNT(*) FROM beneficiaries WHERE identity_key IS NULL "
                  "OR consent_at IS NULL") == 0

    verify = run(app, "audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'seed.loaded'") == 1
    # ids assigned by the seed leave the sequences usable afterwards (PostgreSQL)
    db.session.add(Departement(code="95", name="Val-d'Oise"))
    db.session.commit()
    make_user(Role.ADMIN)


def test_seed_refuses_a_database_with_data(app):
    make_user(Role.ADMIN)
    result = run(app, "seed", "--scale", "small")
    assert result.exit_code != 0
    assert "déjà des données" in result.output
    assert scalar("SELECT COUNT(*) FROM beneficiaries") == 0


def test_same_seed_same_data(tmp_path, request):
    numbers = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        app = make_app("sqlite", folder, request)
        with app.app_context():
            with unit_of_work():
                seed(beneficiaries=40, rng_seed=11)
            numbers.append(db.session.execute(text(
                "SELECT number, status, expires_on FROM booklets ORDER BY id")).all())
            db.session.remove()
            db.engine.dispose()
    assert numbers[0] == numbers[1] and len(numbers[0]) >= 40

"""``flask venues import``: the same service as the page, from the command line."""

from __future__ import annotations

from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.extensions import db
from passnum.venues.models import Venue
from tests.factories import World, make_venue
from tests.venues.import_files import GOOD, TAKEN_SIRET, as_csv, as_json, rows_200, venue_row


def venue_count() -> int:
    return db.session.scalar(select(func.count(Venue.id)))


def run(app, *args):
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["venues", "import", *map(str, args)])
    db.session.expire_all()
    return result


def test_a_dry_run_then_the_import(app, tmp_path):
    world = World()
    make_venue(world.d78).siret = TAKEN_SIRET
    path = tmp_path / "lieux.csv"
    path.write_bytes(as_csv(rows_200()))
    before = venue_count()
    dry = run(app, path, "--departement", "78", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "190 lieux seraient créés, 10 lignes refusées." in dry.output
    assert "Essai à blanc : rien n'a été enregistré." in dry.output
    assert "ligne   105  refusée" in dry.output and "Cours de cuisine" in dry.output
    assert venue_count() == before
    done = run(app, path, "--departement", "78", "--actor", world.manager78.email.upper())
    assert done.exit_code == 0, done.output
    assert "190 lieux créés, 10 lignes refusées." in done.output
    assert venue_count() == before + GOOD
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "venue.imported"))
    assert event.actor_id == world.manager78.id


def test_the_command_line_alone_and_json(app, tmp_path):
    world = World()
    path = tmp_path / "export"
    path.write_bytes(as_json([venue_row(1), venue_row(2)]))
    result = run(app, path, "--departement", "78")
    assert result.exit_code == 0 and "2 lieux créés, 0 ligne refusée." in result.output
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "venue.imported"))
    assert event.actor_id is None and event.object_id == str(world.d78.id)


def test_refusals(app, tmp_path):
    world = World()
    path = tmp_path / "lieux.csv"
    path.write_bytes(as_csv([venue_row(1)]))
    unknown = run(app, path, "--departement", "99")
    assert unknown.exit_code != 0 and "Département inconnu : 99." in unknown.output
    nobody = run(app, path, "--departement", "78", "--actor", "personne@example.org")
    assert nobody.exit_code != 0 and "Aucun compte" in nobody.output
    other = run(app, path, "--departement", "78", "--actor", world.manager92.email)
    assert other.exit_code != 0 and "(departement_out_of_scope)" in other.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes("nom,adresse,code_postal,commune\nÉcole,1 rue,78000,Versailles\n"
                      .encode("latin-1"))
    bad = run(app, latin, "--departement", "78")
    assert bad.exit_code != 0 and "« CSV UTF-8 »" in bad.output
    assert venue_count() == 1

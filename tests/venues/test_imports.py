"""Importing venues from a file of the national standard: the dry run, the import, its
all-or-nothing transaction, duplicates and scope (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from passnum.audit.models import AuditEvent
from passnum.auth.models import Role
from passnum.core.db import unit_of_work
from passnum.errors import Conflict, DomainError, Forbidden
from passnum.extensions import db
from passnum.venues.imports import plan_import, read_rows, run_import
from passnum.venues.labels import change_label, complete_application
from passnum.venues.models import LabelStatus, Venue
from tests.factories import World, make_user, make_venue
from tests.venues.import_files import (
    FAULTS,
    GOOD,
    ROWS,
    SOURCE,
    TAKEN_SIRET,
    as_csv,
    as_json,
    rows_200,
    venue_row,
)


def venue_count() -> int:
    return db.session.scalar(select(func.count(Venue.id)))


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id))
                             .where(AuditEvent.action == action))


@pytest.fixture
def world(app):
    world = World()
    taken = make_venue(world.d78, status=LabelStatus.ACTIVE)
    taken.siret = TAKEN_SIRET
    db.session.commit()
    return world


def run(actor, dep, data, filename="lieux.csv"):
    with unit_of_work():
        return run_import(actor, dep, read_rows(data, filename))


def test_the_dry_run_plans_190_venues_and_refuses_10_rows_each_with_its_reason(world):
    before, events = venue_count(), audit_count("venue.created")
    with unit_of_work():
        plan = plan_import(world.manager78, world.d78, read_rows(as_csv(rows_200()), "a.csv"))
    assert len(plan.rows) == ROWS
    assert len(plan.accepted) == GOOD and {r.result for r in plan.accepted} == {"à créer"}
    assert plan.summary() == "190 lieux seraient créés, 10 lignes refusées."
    refused = {row.line: row.reasons for row in plan.refused}
    assert set(refused) == set(FAULTS)
    for line, (_changes, words) in FAULTS.items():
        assert len(refused[line]) == 1, refused[line]
        assert words in refused[line][0], (line, refused[line])
    assert venue_count() == before and audit_count("venue.created") == events


def test_the_import_creates_190_pending_venues_with_their_profile(world):
    before = venue_count()
    plan = run(world.manager78, world.d78, as_csv(rows_200()))
    assert plan.done and plan.summary() == "190 lieux créés, 10 lignes refusées."
    assert venue_count() == before + GOOD
    imported = db.session.scalars(select(Venue).where(Venue.import_ref.is_not(None))).all()
    assert len(imported) == GOOD
    assert {v.label_status for v in imported} == {LabelStatus.PENDING}
    assert {v.departement_id for v in imported} == {world.d78.id}
    venue = db.session.scalar(select(Venue).where(Venue.import_ref == "mednum-0003"))
    assert (venue.name, venue.address, venue.postal_code) == (
        "Espace numérique n° 3", "3 rue de la Paix", "78100")
    assert (venue.commune, venue.commune_insee) == ("Saint-Germain-en-Laye", "78551")
    assert (venue.latitude, venue.longitude) == (48.89743, 2.0914)
    # a commune found by its name (no code INSEE in the row), accents as the reference's
    assert db.session.scalar(select(Venue.commune_insee).where(
        Venue.import_ref == "mednum-0011")) == "78005"
    assert venue.phone == "01 39 00 00 03" and venue.email == "contact3@exemple.fr"
    assert venue.website == "https://lieu3.exemple.fr"
    assert venue.booking_url == "https://rdv.exemple.fr/lieu3"
    assert venue.opening_hours == "Mo-Fr 09:00-12:00,14:00-18:00"
    assert venue.summary == "Ateliers et accompagnement au numérique."
    assert venue.description.startswith("Des ateliers collectifs\net un")
    assert venue.typologies == ["BIB", "EPN"]
    assert venue.mediation_services == ["demarches", "outils_quotidien"]
    assert venue.specific_publics == ["seniors"]
    assert venue.national_programmes == ["conseillers_numeriques"]
    assert venue.access_modes == ["se_presenter", "telephoner"]
    assert venue.support_modes == ["individuel", "atelier"]
    assert venue.siret is not None and venue.import_source == SOURCE
    assert venue.iban is None and venue.charter_accepted_at is None
    assert venue.profile_updated_at is not None
    # an even row's pivot (zeros) is no SIRET
    assert db.session.scalar(select(Venue.siret).where(Venue.import_ref == "mednum-0004")) is None
    assert [r.line for r in plan.refused] == sorted(FAULTS)
    assert audit_count("venue.created") == GOOD and audit_count("venue.imported") == 1
    summary = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "venue.imported"))
    assert '"venues_created": 190' in summary.details
    assert '"rows_refused": 10' in summary.details
    assert summary.actor_id == world.manager78.id


def test_importing_the_same_file_again_creates_nothing(world):
    run(world.manager78, world.d78, as_csv(rows_200()))
    count = venue_count()
    again = run(world.manager78, world.d78, as_csv(rows_200()))
    assert venue_count() == count and not again.accepted
    assert again.summary() == "0 lieu créé, 200 lignes refusées."
    assert all(any("Doublon" in reason for reason in row.reasons)
               for row in again.rows if row.line not in FAULTS)


def test_a_database_failure_in_the_middle_leaves_nothing_written(world):
    """A venue with row 150's identifier appears after the plan (as a concurrent import
    would write it): its unique constraint refuses row 150, and the rollback takes the
    149 venues before it too."""
    before, events = venue_count(), audit_count("venue.created")
    flushes = {"count": 0}

    def concurrent_row(session, _context):
        flushes["count"] += 1
        if flushes["count"] == 60:
            session.connection().execute(Venue.__table__.insert().values(
                slug="arrive-entre-temps", name="Arrivé entre-temps",
                departement_id=world.d78.id, import_ref="mednum-0150",
                label_status="pending"))

    event.listen(db.session, "after_flush", concurrent_row)
    try:
        with pytest.raises(Conflict) as raised:
            run(world.manager78, world.d78, as_csv(rows_200()))
    finally:
        event.remove(db.session, "after_flush", concurrent_row)
    assert raised.value.code == "import_conflict" and "rien n'a été importé" in raised.value.message
    assert flushes["count"] > 60
    db.session.rollback()
    assert venue_count() == before and audit_count("venue.created") == events
    assert audit_count("venue.imported") == 0


def test_the_json_form_gives_the_same_plan(world):
    with unit_of_work():
        plan = plan_import(world.admin, world.d78, read_rows(as_json(rows_200()), "a.json"))
    assert len(plan.accepted) == GOOD and {r.line for r in plan.refused} == {
        line - 1 for line in FAULTS}  # JSON: the object's rank


def test_semicolons_a_byte_order_mark_and_the_standards_0x_lists(world):
    row = venue_row(1) | {"services": "Aide aux démarches administratives;Compréhension du "
                                      "monde numérique", "typologie": "BIB"}
    data = as_csv([row], delimiter=";", bom=True)
    plan = run(world.admin, world.d78, data)
    assert len(plan.accepted) == 1
    venue = db.session.get(Venue, plan.rows[0].venue_id)
    assert venue.mediation_services == ["demarches", "comprehension"]


def test_a_row_gives_all_its_reasons_and_other_duplicates_are_caught(world):
    existing = make_venue(world.d78)
    existing.name, existing.postal_code = "Médiathèque  du Centre", "78000"
    db.session.commit()
    faulty = venue_row(1) | {"nom": "", "telephone": "0", "site_web": "ftp://lieu.fr",
                             "horaires": "toujours", "latitude": "abc",
                             "adresse": "1 rue\x07 Haute"}
    twin = venue_row(2) | {"nom": "MEDIATHEQUE du centre", "code_postal": "78000",
                           "commune": "versailles", "code_insee": ""}
    twice = [venue_row(3), venue_row(4) | {"nom": venue_row(3)["nom"],
                                           "code_postal": venue_row(3)["code_postal"],
                                           "commune": venue_row(3)["commune"]}]
    with unit_of_work():
        plan = plan_import(world.manager78, world.d78,
                           read_rows(as_json([faulty, twin, *twice]), "a.json"))
    first, second, third, fourth = plan.rows
    assert len(first.reasons) == 6 and first.name == "—"
    assert "« adresse » contient des caractères de contrôle" in first.reasons[1]
    assert any("« site_web »" in r for r in first.reasons)
    assert any("« latitude »" in r for r in first.reasons)
    assert second.reasons == ["Doublon : un lieu « MEDIATHEQUE du centre » existe déjà au code "
                              "postal 78000 (ou figure plus haut dans le fichier)."]
    assert third.accepted and not fourth.accepted
    assert "Doublon" in fourth.reasons[0]


@pytest.mark.parametrize("who", ["manager92", "issuer78", "agent78"])
def test_only_a_manager_of_the_departement_or_an_admin_imports(world, who):
    actor = getattr(world, who)
    before = venue_count()
    with pytest.raises(Forbidden) as raised:
        run(actor, world.d78, as_csv(rows_200()[:3]))
    if who == "manager92":
        assert raised.value.code == "departement_out_of_scope"
    assert venue_count() == before


def test_an_imported_venue_is_not_approved_until_its_application_is_complete(world):
    plan = run(None, world.d78, as_csv([venue_row(1)]))
    venue = db.session.get(Venue, plan.rows[0].venue_id)
    with pytest.raises(DomainError) as raised, unit_of_work():
        change_label(world.manager78, venue, "approve", "Bienvenue")
    assert raised.value.code == "application_incomplete"
    assert raised.value.message == (
        "Impossible d'approuver ce lieu : son dossier est incomplet, il manque l'IBAN, le "
        "représentant légal et l'acceptation de la charte.")
    assert db.session.get(Venue, venue.id).label_status == LabelStatus.PENDING


def test_rows_outside_the_chosen_departement_are_refused(world):
    admin = make_user(Role.ADMIN)
    plan = run(admin, world.d92, as_csv([venue_row(1)]))
    assert plan.rows[0].reasons == [
        "« code_postal » : Le code postal 78300 n'est pas dans le département choisi, "
        "Hauts-de-Seine (92) : corrigez le code postal ou le département."]


def test_a_manager_completes_an_imported_application_then_approves_it(world):
    plan = run(None, world.d78, as_csv([venue_row(2)]))
    venue = db.session.get(Venue, plan.rows[0].venue_id)
    values = {"siret": "732 829 320 00074", "iban": "FR76 3000 6000 0112 3456 7890 189",
              "legal_representative": "Jeanne Martin, présidente"}
    with pytest.raises(DomainError) as unsigned, unit_of_work():
        complete_application(world.manager78, venue, **values, charter_signed=False)
    assert unsigned.value.code == "charter_required"
    with pytest.raises(DomainError) as taken, unit_of_work():
        complete_application(world.manager78, venue, **values | {"siret": TAKEN_SIRET},
                             charter_signed=True)
    assert taken.value.code == "siret_taken"
    with pytest.raises(DomainError) as other, unit_of_work():
        complete_application(world.manager92, venue, **values, charter_signed=True)
    assert other.value.http_status == 404
    with unit_of_work():
        complete_application(world.manager78, venue, **values, charter_signed=True)
    venue = db.session.get(Venue, venue.id)
    assert (venue.siret, venue.iban) == ("73282932000074", "FR7630006000011234567890189")
    assert venue.charter_accepted_at is not None
    assert audit_count("venue.application_completed") == 1
    with unit_of_work():
        change_label(world.manager78, venue, "approve", "Dossier complet")
    assert db.session.get(Venue, venue.id).label_status == LabelStatus.ACTIVE
    with pytest.raises(DomainError) as decided, unit_of_work():
        complete_application(world.manager78, venue, **values, charter_signed=True)
    assert decided.value.code == "application_decided"

"""RGPD retention: ``purge`` pseudonymises people once their programmes are long over."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text, update

from passnum import config
from passnum.audit.models import AuditEvent
from passnum.beneficiaries.commands import retention_months
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.queries import search
from passnum.beneficiaries.retention import (
    LAST_NAME_MARKER,
    due_for_pseudonymisation,
    months_before,
)
from passnum.core.clock import PARIS, today
from passnum.core.db import unit_of_work
from passnum.core.models import IdempotentResponse
from passnum.dashboard.queries import programme_stats
from passnum.extensions import db
from passnum.programmes.models import Allocation, Programme
from passnum.sample.seed import seed
from tests.api.conftest import api_client, bearer
from tests.conftest import TEST_CONFIG
from tests.factories import World, beneficiary_data, issue, make_beneficiary, make_programme

BENEFICIARIES = 240


def run(app, *args):
    """Run a ``flask`` command; return the click result."""
    return app.test_cli_runner().invoke(args=list(args))


def _people() -> dict[int, tuple]:
    """Every beneficiary's personal columns, by id."""
    return {row[0]: tuple(row[1:]) for row in db.session.execute(text(
        "SELECT id, first_name, last_name, birth_date, phone, email, need, identity_key, "
        "postal_code, pseudonymised_at FROM beneficiaries"))}


@pytest.fixture
def mixed(app):
    """People of an ended programme, of a running one, of both, and without booklets."""
    world = World()
    ended = make_beneficiary(world.issuer78, last_name="Ancien", first_name="Armand",
                             phone="0612345678", email="a@example.org", need="Courriels")
    both = make_beneficiary(world.issuer78, last_name="Deuxprogs", first_name="Berthe")
    old_no_booklet = make_beneficiary(world.issuer78, last_name="Sanscarnet", first_name="Cyr")
    new_no_booklet = make_beneficiary(world.issuer78, last_name="Recentissime", first_name="Dina")
    issue(world.issuer78, ended)
    issue(world.issuer78, both)
    # the first programme ended 13 months ago; a new one runs
    with unit_of_work():
        db.session.execute(update(Programme).where(Programme.id == world.programme.id).values(
            starts_on=date(today().year - 4, 1, 1), ends_on=months_before(today(), 13)))
        db.session.execute(update(Beneficiary).where(Beneficiary.id == old_no_booklet.id)
                           .values(created_at=datetime.combine(months_before(today(), 13),
                                                               time(9), PARIS)))
    running = make_programme([world.d78, world.d92])
    with unit_of_work():
        db.session.add(Allocation(programme_id=running.id, structure_id=world.s78.id,
                                  booklets_allocated=10))
    current = make_beneficiary(world.issuer78, last_name="Encours", first_name="Eloi")
    issue(world.issuer78, current)
    issue(world.issuer78, both)
    return world, {"ended": ended.id, "both": both.id, "old_no_booklet": old_no_booklet.id,
                   "new_no_booklet": new_no_booklet.id, "current": current.id}


def test_who_is_due(mixed):
    _world, ids = mixed
    due = due_for_pseudonymisation(day=today(), retention_months=12)
    assert due == sorted([ids["ended"], ids["old_no_booklet"]])
    assert due_for_pseudonymisation(day=today(), retention_months=24) == []


def test_purge_pseudonymises_only_people_past_retention(app, mixed):
    world, ids = mixed
    before = _people()
    result = run(app, "purge")
    assert result.exit_code == 0, result.output
    assert "2 fiche(s) anonymisée(s)" in result.output
    after = _people()
    for key in ("ended", "old_no_booklet"):
        first, last, born, phone, email, need, identity, postal, at = after[ids[key]]
        assert (first, last) == (f"n° {ids[key]}", LAST_NAME_MARKER)
        assert (born, phone, email, need, identity) == (None, None, None, "", None)
        assert postal == before[ids[key]][7] and at is not None
    for key in ("both", "new_no_booklet", "current"):
        assert after[ids[key]] == before[ids[key]], key
    # gone from search and from duplicate detection (the same person may be recorded anew)
    assert search(world.admin, last_name="Ancien") == []
    make_beneficiary(world.issuer78, last_name="Ancien", first_name="Armand")


def test_dry_run_changes_nothing_and_names_ids(app, mixed):
    _world, ids = mixed
    before = _people()
    result = run(app, "purge", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Simulation : 2 fiche(s)" in result.output
    assert f"{min(ids['ended'], ids['old_no_booklet'])}, " in result.output
    assert "Ancien" not in result.output and "Sanscarnet" not in result.output
    assert _people() == before
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "beneficiary.pseudonymised")) is None


def test_retention_delay_is_configured(app, mixed, monkeypatch, tmp_path):
    app.config["RGPD_RETENTION_MONTHS"] = 24
    result = run(app, "purge", "--dry-run")
    assert result.exit_code == 0 and "Simulation : 0 fiche(s)" in result.output
    app.config["RGPD_RETENTION_MONTHS"] = "beaucoup"
    result = run(app, "purge")
    assert result.exit_code != 0 and "RGPD_RETENTION_MONTHS" in result.output
    monkeypatch.setenv("PASSNUM_RGPD_RETENTION_MONTHS", "36")
    assert retention_months(config.load(str(tmp_path), dict(TEST_CONFIG))) == 36
    monkeypatch.delenv("PASSNUM_RGPD_RETENTION_MONTHS")
    assert retention_months(config.load(str(tmp_path), dict(TEST_CONFIG))) == 12


@pytest.fixture
def seeded(app) -> dict:
    """The generated data set, its programme ended 13 months ago."""
    with unit_of_work():
        seed(beneficiaries=BENEFICIARIES, rng_seed=11)
    programme_id = db.session.execute(text("SELECT id FROM programmes")).scalar_one()
    with unit_of_work():
        db.session.execute(update(Programme).where(Programme.id == programme_id)
                           .values(ends_on=months_before(today(), 13)))
    deps = [row[0] for row in db.session.execute(text("SELECT id FROM departements"))]
    return {"programme_id": programme_id, "deps": deps}


def _all_stats(seeded: dict) -> dict:
    """The dashboard for the programme: all départements, then each one."""
    day = today()
    stats = {None: programme_stats(seeded["programme_id"], day=day)}
    for dep in seeded["deps"]:
        stats[dep] = programme_stats(seeded["programme_id"], departement_id=dep, day=day)
    return stats


def test_purge_of_a_generated_data_set_keeps_every_figure(app, seeded):
    names = {value for row in db.session.execute(text(
        "SELECT first_name, last_name FROM beneficiaries")) for value in row}
    births = {row[0] for row in db.session.execute(text(
        "SELECT birth_date FROM beneficiaries"))}
    assert len(names) > 20 and len(births) > 100
    before = _all_stats(seeded)
    assert before[None].beneficiaries.reached == BENEFICIARIES

    dry = run(app, "purge", "--dry-run")
    assert dry.exit_code == 0 and f"Simulation : {BENEFICIARIES} fiche(s)" in dry.output
    assert db.session.scalar(text(
        "SELECT COUNT(*) FROM beneficiaries WHERE pseudonymised_at IS NOT NULL")) == 0

    result = run(app, "purge")
    assert result.exit_code == 0, result.output
    assert f"{BENEFICIARIES} fiche(s) anonymisée(s)" in result.output
    db.session.expire_all()
    rows = db.session.execute(text(
        "SELECT first_name, last_name, birth_date, identity_key, pseudonymised_at "
        "FROM beneficiaries")).all()
    assert len(rows) == BENEFICIARIES
    assert not names & {value for row in rows for value in row[:2]}
    assert {row[2:4] for row in rows} == {(None, None)}
    assert all(row[4] is not None for row in rows)
    assert _all_stats(seeded) == before

    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "beneficiary.pseudonymised")).all()
    details = json.loads(event.details)
    assert details["count"] == BENEFICIARIES and len(details["ids"]) == BENEFICIARIES
    assert not any(name in event.details for name in names)

    again = run(app, "purge")
    assert again.exit_code == 0 and "0 fiche(s) anonymisée(s)" in again.output
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "beneficiary.pseudonymised")) == 1
    assert _all_stats(seeded) == before
    assert run(app, "audit", "verify").exit_code == 0


def _age_answers(hours: float) -> None:
    """Make every stored API answer ``hours`` older."""
    with unit_of_work():
        for row in db.session.scalars(select(IdempotentResponse)):
            row.created_at = row.created_at - timedelta(hours=hours)


def test_purge_deletes_stored_api_answers_past_their_lifetime(app):
    world = World()
    client = api_client(app)
    headers = bearer(client, world.issuer78)
    for key, name in (("old", "Ancienne"), ("recent", "Recente")):
        response = client.post("/api/v1/beneficiaries", json=beneficiary_data(last_name=name),
                               headers={**headers, "Idempotency-Key": key})
        assert response.status_code == 201
        if key == "old":  # stored 49 hours ago
            _age_answers(49)

    def bodies() -> list[str]:
        db.session.expire_all()
        return sorted(json.loads(body)["last_name"]
                      for body in db.session.scalars(select(IdempotentResponse.body)))

    dry = run(app, "purge", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Simulation : 1 réponse(s) d'API" in dry.output and "48 h" in dry.output
    assert bodies() == ["Ancienne", "Recente"]
    result = run(app, "purge")
    assert result.exit_code == 0, result.output
    assert "1 réponse(s) d'API gardée(s) pour les reprises supprimée(s)" in result.output
    assert bodies() == ["Recente"]
    app.config["IDEMPOTENCY_TTL_HOURS"] = 1  # the lifetime is a setting
    _age_answers(2)
    assert "1 réponse(s) d'API" in run(app, "purge").output
    assert bodies() == []


def test_answer_lifetime_is_a_setting_checked_at_start(monkeypatch, tmp_path):
    assert config.load(str(tmp_path), dict(TEST_CONFIG))["IDEMPOTENCY_TTL_HOURS"] == 48
    monkeypatch.setenv("PASSNUM_IDEMPOTENCY_TTL_HOURS", "72")
    assert config.load(str(tmp_path), dict(TEST_CONFIG))["IDEMPOTENCY_TTL_HOURS"] == 72
    for wrong in (0, "deux jours"):
        with pytest.raises(config.ConfigError, match="IDEMPOTENCY_TTL_HOURS"):
            config.load(str(tmp_path), {**TEST_CONFIG, "IDEMPOTENCY_TTL_HOURS": wrong})

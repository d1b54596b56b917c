"""A programme's priority publics: admins add, rename, reorder, retire and bring back
entries and set the target share; managers read; every change is audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.models import PriorityPublic
from passnum.programmes.queries import open_priority_publics, programme_priority_publics
from passnum.programmes.services import (
    add_priority_public,
    change_priority_public,
    priority_code,
    set_priority_target,
)
from tests.factories import World
from tests.web.test_issuing_pages import login


def _audited(action: str) -> list[dict]:
    return [json.loads(e.details) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


def _labels(world: World) -> list[str]:
    db.session.expire_all()
    return [p.label for p in programme_priority_publics(world.programme.id)]


def add(actor, programme, label):
    with unit_of_work():
        return add_priority_public(actor, programme, label=label)


def change(actor, entry, action, label=""):
    with unit_of_work():
        return change_priority_public(actor, entry, action=action, label=label)


def test_codes_come_from_the_label_and_stay():
    assert priority_code("Jeune sans qualification (16-25 ans)") == \
        "jeune_sans_qualification_16_25_ans"
    assert priority_code("Bénéficiaire des minima sociaux") == "beneficiaire_des_minima_sociaux"
    assert len(priority_code("x" * 300)) == 40


def test_admin_builds_the_checklist_and_every_step_is_audited(app):
    world = World()
    first = add(world.admin, world.programme, "Demandeur d'emploi peu qualifié")
    second = add(world.admin, world.programme, "  Bénéficiaire   des minima sociaux ")
    third = add(world.admin, world.programme, "Jeune sans qualification (16-25 ans)")
    assert (first.code, second.label) == ("demandeur_d_emploi_peu_qualifie",
                                          "Bénéficiaire des minima sociaux")
    change(world.admin, third, "up")
    assert _labels(world) == ["Demandeur d'emploi peu qualifié",
                              "Jeune sans qualification (16-25 ans)",
                              "Bénéficiaire des minima sociaux"]
    change(world.admin, first, "up")  # already first: nothing moves
    assert _labels(world)[0] == "Demandeur d'emploi peu qualifié"
    change(world.admin, first, "rename", "Demandeur d'emploi de faible niveau de qualification")
    assert db.session.get(PriorityPublic, first.id).code == "demandeur_d_emploi_peu_qualifie"
    change(world.admin, second, "retire")
    assert [p.id for p in open_priority_publics()] == [first.id, third.id]
    change(world.admin, second, "restore")
    assert len(open_priority_publics()) == 3
    assert [d["code"] for d in _audited("priority_public.added")] == [
        first.code, second.code, third.code]
    renamed = _audited("priority_public.renamed")[0]
    assert renamed["before"]["label"] == "Demandeur d'emploi peu qualifié"
    assert len(_audited("priority_public.moved")) == 2
    assert len(_audited("priority_public.retired")) == 1
    assert len(_audited("priority_public.restored")) == 1


def test_same_label_twice_gets_refused_and_a_close_one_gets_its_own_code(app):
    world = World()
    add(world.admin, world.programme, "Senior isolé")
    with pytest.raises(DomainError) as err:
        add(world.admin, world.programme, "SENIOR ISOLÉ")
    assert (err.value.code, err.value.field) == ("label_taken", "label")
    other = add(world.admin, world.programme, "Senior, isolé")
    assert other.code == "senior_isole_2"
    for bad in ("", "   ", "x" * 161, "Jeune\u202e"):
        with pytest.raises(DomainError) as err:
            add(world.admin, world.programme, bad)
        assert err.value.field == "label"


def test_only_admins_change_the_list_and_the_target(app):
    world = World()
    entry = add(world.admin, world.programme, "Senior isolé")
    for user in (world.manager78, world.issuer78, world.agent78):
        with pytest.raises(DomainError) as err:
            add(user, world.programme, "Autre")
        assert err.value.http_status == 403
        with pytest.raises(DomainError) as err:
            change(user, entry, "retire")
        assert err.value.http_status == 403
        with pytest.raises(DomainError), unit_of_work():
            set_priority_target(user, world.programme, percent=50)


def test_the_target_share(app):
    world = World()
    with unit_of_work():
        set_priority_target(world.admin, world.programme, percent=60)
    assert world.programme.priority_target_percent == 60
    for bad in (-1, 101):
        with pytest.raises(DomainError) as err, unit_of_work():
            set_priority_target(world.admin, world.programme, percent=bad)
        assert err.value.field == "priority_target_percent"
    with unit_of_work():
        set_priority_target(world.admin, world.programme, percent=None)
    assert _audited("programme.priority_target_set") == [
        {"before": None, "after": 60}, {"before": 60, "after": None}]


def test_the_page_managers_read_and_admins_change(client, app):
    world = World()
    entry = add(world.admin, world.programme, "Senior isolé")
    url = f"/programmes/{world.programme.id}/publics-prioritaires"
    login(client, world.manager78)
    page = client.get(url)
    assert page.status_code == 200
    assert "Senior isolé" in page.text and "Renommer" not in page.text
    assert client.post(url, data={"label": "Autre"}).status_code == 403
    assert client.get("/allocations/").text.count(url) == 1
    client.post("/deconnexion")
    login(client, world.admin)
    assert client.post(url, data={"label": "Allocataire du RSA"}).status_code == 302
    refused = client.post(url, data={"label": "Senior isolé"})
    assert refused.status_code == 409
    assert "figure déjà" in refused.text
    moved = client.post(f"{url}/{entry.id}", data={f"p{entry.id}-action": "down",
                                                  f"p{entry.id}-label": entry.label})
    assert moved.status_code == 302
    assert _labels(world) == ["Allocataire du RSA", "Senior isolé"]
    assert client.post(f"{url}/cible", data={"priority_target_percent": "60"}).status_code == 302
    assert "60 % des personnes atteintes" in client.get(url).text
    assert client.post(f"{url}/cible", data={"priority_target_percent": "140"}).status_code == 400
    assert client.post(f"/programmes/{world.programme.id + 1}/publics-prioritaires/"
                       f"{entry.id}", data={f"p{entry.id}-action": "retire"}).status_code == 404

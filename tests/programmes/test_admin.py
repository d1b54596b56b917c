"""Programme administration: convention, quotas per département, new départements."""

from datetime import date

import pytest
from sqlalchemy import select

from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.models import Departement, Programme, ProgrammeQuota
from passnum.programmes.queries import departement_by_code, departement_codes, departements
from passnum.programmes.services import create_departement, save_programme, set_quota
from tests.factories import World, issue, make_beneficiary
from tests.web.test_issuing_pages import login

VALUES = {"name": "Pass numérique 2027-2030", "starts_on": date(2027, 1, 1),
          "ends_on": date(2030, 12, 31), "target_beneficiaries": 40_000,
          "budget_cents": 400_000_000, "vouchers_per_booklet": 10,
          "voucher_value_cents": 1000, "validity_months": 12}


def save(actor, programme=None, **over):
    with unit_of_work():
        return save_programme(actor, programme, **{**VALUES, **over})


def test_create_and_change_a_programme(app):
    world = World()
    programme = save(world.admin)
    assert programme.id and programme.target_beneficiaries == 40_000
    changed = save(world.admin, programme, validity_months=18, name="Pass 2027")
    assert changed.validity_months == 18 and changed.name == "Pass 2027"
    with pytest.raises(DomainError) as err:
        save(world.admin, programme, ends_on=date(2026, 1, 1))
    assert err.value.field == "ends_on"
    with pytest.raises(DomainError) as err:
        save(world.admin, None, name=world.programme.name)
    assert err.value.code == "name_taken"
    with pytest.raises(DomainError) as err:
        save(world.manager78, None, name="x")
    assert err.value.http_status == 403


def test_composition_is_locked_once_booklets_exist(app):
    world = World()
    issue(world.issuer78, make_beneficiary(world.issuer78))
    current = {k: getattr(world.programme, k) for k in VALUES}
    with pytest.raises(DomainError) as err:
        save(world.admin, world.programme, **{**current, "vouchers_per_booklet": 8})
    assert err.value.code == "composition_locked"
    assert save(world.admin, world.programme, **{**current, "validity_months": 6})


def test_quota_never_below_issued_or_allotted(app):
    world = World(allocation=30, quota=100)  # 60 allotted in 78
    with unit_of_work():
        quota = set_quota(world.admin, world.programme, world.d78, target_beneficiaries=80,
                          booklet_quota=80, budget_cents=800_000)
    assert quota.booklet_quota == 80
    with pytest.raises(DomainError) as err, unit_of_work():
        set_quota(world.admin, world.programme, world.d78, target_beneficiaries=50,
                  booklet_quota=50, budget_cents=1)
    assert err.value.code == "below_allocated"


def test_a_third_departement_joins_without_code_change(app):
    world = World()
    with unit_of_work():
        dep = create_departement(world.admin, code="95", name="Val-d'Oise")
        set_quota(world.admin, world.programme, dep, target_beneficiaries=1000,
                  booklet_quota=1000, budget_cents=10_000_000)
    assert db.session.scalar(select(ProgrammeQuota).where(
        ProgrammeQuota.departement_id == dep.id)).booklet_quota == 1000
    for code in ("7", "ABC", "78"):
        with pytest.raises(DomainError), unit_of_work():
            create_departement(world.admin, code=code, name="X")


def test_admin_pages(client, app):
    world = World()
    login(client, world.admin)
    page = client.get("/programmes/").text
    assert world.programme.name in page
    response = client.post("/programmes/", data={"code": "95", "name": "Val-d'Oise"},
                           follow_redirects=True)
    assert "Département ajouté" in response.text
    assert db.session.scalar(select(Departement).where(Departement.code == "95"))
    response = client.post("/programmes/nouveau", data={
        "name": "Programme bis", "starts_on": "2027-01-01", "ends_on": "2028-12-31",
        "target_beneficiaries": "100", "budget_euros": "10000", "vouchers_per_booklet": "10",
        "voucher_value_euros": "10", "validity_months": "12"})
    assert response.status_code == 302
    created = db.session.scalar(select(Programme).where(Programme.name == "Programme bis"))
    assert created.budget_cents == 1_000_000
    dep95 = db.session.scalar(select(Departement).where(Departement.code == "95"))
    response = client.post(f"/programmes/{created.id}/departements/{dep95.id}", data={
        f"d{dep95.id}-target_beneficiaries": "50", f"d{dep95.id}-booklet_quota": "50",
        f"d{dep95.id}-budget_euros": "5000"}, follow_redirects=True)
    assert "Part de Val-d&#39;Oise enregistrée" in response.text
    assert db.session.scalar(select(ProgrammeQuota.booklet_quota).where(
        ProgrammeQuota.programme_id == created.id, ProgrammeQuota.departement_id == dep95.id)) == 50
    response = client.post("/programmes/nouveau", data={"name": "", "starts_on": "x"})
    assert response.status_code == 422


def test_only_admins_administer_programmes(client, app):
    world = World()
    login(client, world.manager78)
    assert client.get("/programmes/").status_code == 403
    assert client.get(f"/programmes/{world.programme.id}").status_code == 403


def test_departements_are_found_by_code_in_one_place(app):
    world = World()
    with unit_of_work():
        corsica = create_departement(world.admin, code="2a", name="Corse-du-Sud")
    assert corsica.code == "2A"
    assert departement_by_code(" 2a ") == corsica == departement_by_code("2A")
    assert departement_by_code("78") == world.d78
    assert departement_by_code("") is None and departement_by_code(None) is None
    assert departement_by_code("95") is None
    assert [d.code for d in departements()] == sorted(d.code for d in departements())
    assert departement_codes()[corsica.id] == "2A"
    with pytest.raises(DomainError) as err, unit_of_work():
        create_departement(world.admin, code=" 2A", name="Encore")
    assert err.value.code == "departement_exists"

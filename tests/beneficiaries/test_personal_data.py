"""Every column of the schema has a reviewed fate, and the purge does exactly that.

The list lives in ``passnum.beneficiaries.personal_data`` (the purge reads it too): a
column added to a model without a decision there fails ``test_every_column_is_listed``.
"""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from passnum.audit.models import AuditEvent
from passnum.beneficiaries import priority_key
from passnum.beneficiaries.categories import (
    GENDER_LABELS,
    PRIORITY_AREA_LABELS,
    SOCIAL_STATUS_LABELS,
)
from passnum.beneficiaries.export import subject_access_data
from passnum.beneficiaries.models import Beneficiary, beneficiary_priority_publics
from passnum.beneficiaries.pdf import render_export
from passnum.beneficiaries.personal_data import (
    ABOUT_A_BENEFICIARY,
    COLUMNS,
    PERSON_LINKS,
    Treatment,
    columns_treated,
)
from passnum.beneficiaries.retention import months_before
from passnum.booklets.models import Booklet
from passnum.core.clock import now, today
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.messages.models import Channel
from passnum.messages.services import enqueue
from passnum.programmes.models import Allocation, PriorityPublic, Programme
from passnum.venues.models import WorkshopBooking
from tests.api.conftest import API, api_client, bearer
from tests.factories import World, make_programme, make_workshop
from tests.pdfutil import pdf_text

# tables that change with any operation whatever the purge does: the chain's tip
MOVES_WITH_EVERY_EVENT = {"audit_head"}
# tables that only grow (the purge appends its own event, never touches old rows)
APPEND_ONLY = {"audit_events"}
# tables the purge adds to by design: the anonymous totals of the people it
# pseudonymises (dashboard.reach), which hold no column about a person
GROWN_BY_THE_PURGE = {"reach_tallies"}
CHANGED_BY_PURGE = (Treatment.PSEUDONYMISED, Treatment.BLANKED, Treatment.SET_BY_PURGE)

PRIVATE = {
    "phone": "0611223344", "email": "lenoir.private@example.org",
    "need": "Aide pour écrire à sa fille Léa, 12 impasse des Glycines",
}
CATEGORIES = {"gender": "female", "social_status": "retired", "commune_insee": "78646",
              "priority_area": "yes"}
# how the printed export shows a stored code
PRINTED_AS: dict[tuple[str, str], dict[str, str]] = {
    ("beneficiaries", "gender"): GENDER_LABELS,
    ("beneficiaries", "social_status"): SOCIAL_STATUS_LABELS,
    ("beneficiaries", "priority_area"): PRIORITY_AREA_LABELS,
}
NOTES = {
    "revoke": "Perdu chez Mme Lenoir, 3 rue des Lilas à Versailles",
    "booklet_override": "Homonyme : Jeanne Lenoir née en 1950, voisine de palier",
    "person_override": "Confirmé par téléphone avec son fils Paul Lenoir",
    "person_eligibility": "Hébergée chez sa fille Marie Lenoir à Poissy",
}


def test_every_column_is_listed():
    in_schema = {(table.name, column.name) for table in db.metadata.sorted_tables
                 for column in table.columns}
    listed = {(table, column) for table, rules in COLUMNS.items() for column in rules}
    assert in_schema - listed == set(), "columns without a decision in personal_data.py"
    assert listed - in_schema == set(), "columns listed in personal_data.py but gone"


def test_every_column_about_a_beneficiary_is_in_the_export_or_derived():
    for table, rules in COLUMNS.items():
        for column, rule in rules.items():
            if rule.treatment in ABOUT_A_BENEFICIARY:
                assert bool(rule.export) != bool(rule.derived_from), (table, column)
            else:
                assert rule.export is None, (table, column)
            if rule.treatment in (Treatment.BLANKED, Treatment.DELETED_ROW):
                assert table in PERSON_LINKS, f"{table}: the purge cannot find the rows"


def _post(client, headers: dict, key: str, path: str, body: dict) -> dict:
    response = client.post(f"{API}{path}", headers={**headers, "Idempotency-Key": key},
                           json=body)
    assert response.status_code in (200, 201), response.json
    return response.json


def _person_with_a_revoked_booklet(client, headers: dict, tag: str, world: World,
                                   **fields: Any) -> dict:
    """A person recorded, given a booklet and declaring it lost, through the API, with
    every category filled, a priority public ticked and a workshop seat booked."""
    person = _post(client, headers, f"create-{tag}", "/beneficiaries", {
        "first_name": f"Jeanne{tag}", "last_name": f"Lenoir{tag}",
        "birth_date": "1951-02-03", "postal_code": "78000", "consent": True, **fields})
    booklet = _post(client, headers, f"issue-{tag}", "/booklets",
                    {"beneficiary_id": person["id"]})
    _post(client, headers, f"revoke-{tag}", f"/booklets/{booklet['id']}/revoke",
          {"reason": "lost", "note": f"{NOTES['revoke']} {tag}"})
    with unit_of_work():
        db.session.execute(update(Beneficiary).where(Beneficiary.id == person["id"]).values(
            duplicate_override_reason=f"{NOTES['person_override']} {tag}",
            eligibility_override_reason=f"{NOTES['person_eligibility']} {tag}"))
        db.session.execute(update(Booklet).where(Booklet.id == booklet["id"]).values(
            duplicate_override_reason=f"{NOTES['booklet_override']} {tag}"))
        db.session.execute(update(Beneficiary).where(Beneficiary.id == person["id"]).values(
            **CATEGORIES, messages_consent_at=now()))
        public = PriorityPublic(programme_id=world.programme.id, code=f"minima-{tag}",
                                label=f"Minima sociaux {tag}")
        db.session.add(public)
        db.session.flush()
        db.session.execute(insert(beneficiary_priority_publics).values(
            beneficiary_id=person["id"], priority_public_id=public.id))
        priority_key.rebuild()  # the copy the services keep with the links
        db.session.add(WorkshopBooking(workshop_id=make_workshop(world.venue78, days=3).id,
                                       beneficiary_id=person["id"],
                                       booklet_id=booklet["id"]))
        enqueue(channel=Channel.EMAIL, recipient=PRIVATE["email"], kind="booklet_handed_out",
                event_key=f"booklet.handed_out:{booklet['id']}", subject="Votre chéquier",
                body=f"Bonjour Jeanne{tag}", beneficiary_id=person["id"])
    return person


@pytest.fixture
def scene(app) -> dict:
    """A person due for the purge and one who is not, each with every free-text note
    filled and API answers stored for retries."""
    world = World()
    client = api_client(app)
    headers = bearer(client, world.issuer78)
    due = _person_with_a_revoked_booklet(client, headers, "A", world, **PRIVATE)
    with unit_of_work():  # that programme ended 13 months ago; another one runs
        db.session.execute(update(Programme).where(Programme.id == world.programme.id)
                           .values(starts_on=date(today().year - 4, 1, 1),
                                   ends_on=months_before(today(), 13)))
    running = make_programme([world.d78, world.d92])
    with unit_of_work():
        db.session.add(Allocation(programme_id=running.id, structure_id=world.s78.id,
                                  booklets_allocated=10))
    kept = _person_with_a_revoked_booklet(client, headers, "B", world, **PRIVATE)
    return {"app": app, "world": world, "due": due["id"], "kept": kept["id"]}


def _snapshot() -> dict[str, dict[tuple, dict[str, Any]]]:
    """Every row of every table, by primary key."""
    db.session.expire_all()
    tables = {}
    for table in db.metadata.sorted_tables:
        key = [column.name for column in table.primary_key.columns]
        rows = db.session.execute(select(table)).mappings().all()
        tables[table.name] = {tuple(row[k] for k in key): dict(row) for row in rows}
    return tables


def _linked(table: str, row: dict[str, Any], person_id: int) -> bool:
    link = PERSON_LINKS.get(table)
    return link is not None and row[link] == person_id


def test_the_purge_does_to_each_column_what_the_list_says(scene):
    before = _snapshot()
    assert any(_linked("idempotent_responses", row, scene["due"])
               for row in before["idempotent_responses"].values())
    result = scene["app"].test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 fiche(s) anonymisée(s)" in result.output
    after = _snapshot()

    checked = set()
    for table, rows in before.items():
        if table in MOVES_WITH_EVERY_EVENT:
            continue
        deletes = bool(columns_treated(table, Treatment.DELETED_ROW))
        for key, old in rows.items():
            purged = _linked(table, old, scene["due"])
            if purged and deletes:
                assert key not in after[table], f"{table} {key} kept"
                checked.add((table, "*"))
                continue
            new = after[table][key]
            for column, value in old.items():
                treatment = COLUMNS[table][column].treatment
                if not purged or treatment not in CHANGED_BY_PURGE:
                    assert new[column] == value, (table, column, purged)
                elif treatment == Treatment.SET_BY_PURGE:
                    assert value is None and new[column] is not None, (table, column)
                    checked.add((table, column))
                elif treatment == Treatment.BLANKED:
                    assert value not in (None, ""), f"{table}.{column}: fill it in the scene"
                    assert new[column] in (None, ""), (table, column)
                    checked.add((table, column))
                else:
                    assert value and new[column] != value, (table, column)
                    assert str(value) not in str(new[column]), (table, column)
                    checked.add((table, column))
        new_rows = set(after[table]) - set(rows)
        assert not new_rows or table in APPEND_ONLY | GROWN_BY_THE_PURGE, f"{table}: rows added"
    # the totals gained the purged person once per dimension, and name no one
    assert all(rule.treatment == Treatment.NOT_PERSONAL for table in GROWN_BY_THE_PURGE
               for rule in COLUMNS[table].values())
    people = [row for row in after["reach_tallies"].values() if row["dimension"] == "people"]
    assert sum(row["people"] for row in people) == 1
    assert {(row["dimension"], row["value"]) for row in after["reach_tallies"].values()} >= {
        ("gender", CATEGORIES["gender"]), ("commune", CATEGORIES["commune_insee"]),
        ("social_status", CATEGORIES["social_status"]),
        ("priority_area", CATEGORIES["priority_area"]), ("priority", "yes")}
    # every blanked, pseudonymised and deleted column met real data
    expected = {(table, column) for table in COLUMNS for treatment in CHANGED_BY_PURGE
                for column in columns_treated(table, treatment)}
    expected |= {(table, "*") for table in COLUMNS
                 if columns_treated(table, Treatment.DELETED_ROW)}
    assert checked == expected


def _at(data: Any, path: str) -> list[Any]:
    """The values found at a dotted ``path`` (``name[]`` walks each item of a list)."""
    values = [data]
    for part in path.split("."):
        many = part.endswith("[]")
        values = [value[part.removesuffix("[]")] for value in values]
        if many:
            values = [item for value in values for item in value]
    return values


def test_every_column_about_the_person_is_in_their_export(scene):
    person = db.session.get(Beneficiary, scene["due"])
    data = subject_access_data(person, at=now())
    out = io.BytesIO()
    render_export(data, out)
    printed = " ".join(pdf_text(out.getvalue()).split())
    snapshot = _snapshot()
    booklet_ids = {row["id"] for row in snapshot["booklets"].values()
                   if row["beneficiary_id"] == person.id}
    owned = {
        "beneficiaries": [snapshot["beneficiaries"][(person.id,)]],
        "booklets": [snapshot["booklets"][(i,)] for i in booklet_ids],
        "vouchers": [row for row in snapshot["vouchers"].values()
                     if row["booklet_id"] in booklet_ids],
        **{table: [row for row in snapshot[table].values()
                   if row["beneficiary_id"] == person.id]
           for table in ("beneficiary_priority_publics", "workshop_bookings",
                         "outbox_messages")},
    }
    for table, rules in COLUMNS.items():
        for column, rule in rules.items():
            if rule.export is None:
                continue
            assert table in owned, f"{table}: add its rows to this test"
            found = _at(data, rule.export)
            assert found, (table, column)
            if rule.treatment in (Treatment.BLANKED, Treatment.PSEUDONYMISED):
                for row in owned[table]:
                    assert row[column] in found, (table, column)
                    if isinstance(row[column], str):  # the printed export shows it too
                        shown = PRINTED_AS.get((table, column), {}).get(row[column],
                                                                        row[column])
                        assert " ".join(shown.split()) in printed, (table, column)


def test_audit_details_hold_ids_never_personal_data(scene):
    result = scene["app"].test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    secrets = [*PRIVATE.values(), *NOTES.values(), "Jeanne", "Lenoir", "1951-02-03"]
    events = db.session.scalars(select(AuditEvent)).all()
    assert {"booklet.issued", "booklet.revoked", "beneficiary.created",
            "beneficiary.pseudonymised"} <= {e.action for e in events}
    for event in events:
        json.loads(event.details)
        for secret in secrets:
            assert secret not in event.details, (event.action, secret)

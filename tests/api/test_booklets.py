"""Booklets through the API: issue, read, PDF, revoke; duplicates, allocation, scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.booklets.models import Booklet
from passnum.extensions import db
from tests.api.conftest import API, bearer

PERSON = {"first_name": "Camille", "last_name": "Durand", "birth_date": "1958-04-12",
          "postal_code": "78500", "consent": True}


def _booklets() -> int:
    return db.session.scalar(select(func.count(Booklet.id)))


def new_person(client, headers: dict[str, str], **over: Any) -> int:
    """Create a beneficiary through the API and return its id."""
    response = client.post(f"{API}/beneficiaries", headers=headers, json={**PERSON, **over})
    assert response.status_code == 201, response.json
    return response.json["id"]


def new_booklet(client, headers: dict[str, str], **over: Any) -> dict[str, Any]:
    """Create a beneficiary and issue its booklet; return the booklet JSON."""
    response = client.post(f"{API}/booklets", headers=headers,
                           json={"beneficiary_id": new_person(client, headers, **over)})
    assert response.status_code == 201, response.json
    return response.json


def test_issue_returns_the_booklet_and_its_ten_vouchers(client, world):
    headers = bearer(client, world.issuer78)
    person = new_person(client, headers)
    response = client.post(f"{API}/booklets", headers=headers, json={"beneficiary_id": person})
    assert response.status_code == 201
    booklet = response.json
    assert booklet["number"].startswith("78-")
    assert booklet["status"] == "handed_out"
    assert booklet["departement"] == "78"
    assert booklet["beneficiary_id"] == person
    assert booklet["structure_id"] == world.s78.id
    assert booklet["programme_id"] == world.programme.id
    assert booklet["revoked_at"] is None
    vouchers = booklet["vouchers"]
    assert len(vouchers) == 10
    assert len({v["serial"] for v in vouchers}) == len({v["manual_code"] for v in vouchers}) == 10
    assert all(v["value_cents"] == 1000 and v["status"] == "issued" for v in vouchers)
    assert all(v["expires_on"] == booklet["expires_on"] for v in vouchers)
    assert all(v["url"].startswith("http://passnum.test/v/") for v in vouchers)
    assert client.get(f"{API}/booklets/{booklet['id']}", headers=headers).json == booklet


def test_printed_codes_check_valid(client, world):
    headers = bearer(client, world.issuer78)
    booklet = new_booklet(client, headers)
    for voucher in booklet["vouchers"]:
        typed = voucher["manual_code"]
        token = voucher["url"].rsplit("/v/", 1)[1]
        for code in (voucher["url"], token, typed, typed.replace("-", "").lower()):
            response = client.get(f"{API}/vouchers/check", headers=headers,
                                  query_string={"code": code})
            assert response.status_code == 200, code
            assert response.json["serial"] == voucher["serial"]
            assert response.json["valid"] is True
            assert response.json["reason"] is None
            assert response.json["booklet_number"] == booklet["number"]


def test_second_booklet_for_the_same_person_is_refused(client, world):
    headers = bearer(client, world.issuer78)
    person = new_person(client, headers)
    first = client.post(f"{API}/booklets", headers=headers, json={"beneficiary_id": person})
    second = client.post(f"{API}/booklets", headers=headers, json={"beneficiary_id": person})
    assert second.status_code == 409
    assert second.json["error"]["code"] == "booklet_already_issued"
    assert first.json["number"] in second.json["error"]["message"]
    assert _booklets() == 1


def test_likely_duplicate_needs_a_manager_override(client, world):
    new_booklet(client, bearer(client, world.issuer92), first_name="Élodie",
                last_name="Le Gall-Hervé", birth_date="1960-01-02")
    issuer = bearer(client, world.issuer78)
    person = new_person(client, issuer, first_name="elodie", last_name="LE GALL HERVE",
                        birth_date="02/01/1960")
    for body in ({"beneficiary_id": person},
                 {"beneficiary_id": person, "override_reason": "Autre personne"}):
        refused = client.post(f"{API}/booklets", headers=issuer, json=body)
        assert refused.status_code == 409
        assert refused.json["error"]["code"] == "duplicate_beneficiary"
        assert world.s92.name in refused.json["error"]["message"]
    # managers never issue: they set the duplicate aside on the person's record, then
    # the issuer issues
    manager = bearer(client, world.manager78)
    assert client.post(f"{API}/booklets", headers=manager, json={
        "beneficiary_id": person, "override_reason": "Homonyme"}).status_code == 403
    override = f"{API}/beneficiaries/{person}/duplicate-override"
    assert client.post(override, headers=issuer,
                       json={"reason": "Autre personne"}).status_code == 403
    assert client.post(override, headers=bearer(client, world.manager92),
                       json={"reason": "Autre personne"}).status_code == 404
    assert client.post(override, headers=manager, json={"reason": " "}).status_code == 400
    assert client.post(override, headers=manager, json={}).status_code == 400
    done = client.post(override, headers=manager, json={"reason": "Homonyme vérifié"})
    assert done.status_code == 200 and done.json["id"] == person
    issued = client.post(f"{API}/booklets", headers=issuer, json={"beneficiary_id": person})
    assert issued.status_code == 201
    assert db.session.get(Booklet, issued.json["id"]).duplicate_override_reason == (
        "Homonyme vérifié")
    # an administrator may issue with the reason directly
    other = new_person(client, bearer(client, world.issuer78b), first_name="Elodie",
                       last_name="le gall herve", birth_date="1960-01-02")
    admin = bearer(client, world.admin)
    without_reason = client.post(f"{API}/booklets", headers=admin,
                                 json={"beneficiary_id": other, "override_reason": "  "})
    assert without_reason.status_code == 409
    accepted = client.post(f"{API}/booklets", headers=admin, json={
        "beneficiary_id": other, "override_reason": "Homonyme vérifié sur pièce d'identité"})
    assert accepted.status_code == 201
    assert _booklets() == 3
    assert db.session.get(Booklet, accepted.json["id"]).duplicate_override_reason


def test_exhausted_allocation_is_refused_in_french(client, world_allocation_1):
    world = world_allocation_1
    headers = bearer(client, world.issuer78)
    new_booklet(client, headers)
    person = new_person(client, headers, last_name="Bernard")
    refused = client.post(f"{API}/booklets", headers=headers, json={"beneficiary_id": person})
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "allocation_exhausted"
    assert "allocation de chéquiers de votre structure est épuisée" in (
        refused.json["error"]["message"])
    assert _booklets() == 1


def test_issue_input_is_checked(client, world):
    headers = bearer(client, world.issuer78)
    for body, status in (({}, 400), ({"beneficiary_id": "1"}, 400),
                         ({"beneficiary_id": 1.5}, 400), ({"beneficiary_id": 0}, 400),
                         ({"beneficiary_id": 2**31}, 400), ({"beneficiary_id": 424242}, 404),
                         ({"beneficiary_id": 1, "override_reason": 3}, 400)):
        response = client.post(f"{API}/booklets", headers=headers, json=body)
        assert response.status_code == status, body


def test_scope_of_booklets(client, world):
    booklet = new_booklet(client, bearer(client, world.issuer78))
    url = f"{API}/booklets/{booklet['id']}"
    for user in (world.issuer78b, world.issuer92, world.manager92, world.agent78):
        headers = bearer(client, user)
        assert client.get(url, headers=headers).status_code == 404
        assert client.get(f"{url}/pdf", headers=headers).status_code == 404
        assert client.post(f"{url}/pdf", headers=headers).status_code == 404
        revoke = client.post(f"{url}/revoke", headers=headers, json={"reason": "lost"})
        assert revoke.status_code == 404
        assert revoke.json["error"]["code"] == "not_found"
        issue = client.post(f"{API}/booklets", headers=headers,
                            json={"beneficiary_id": booklet["beneficiary_id"]})
        # managers and agents never issue (403, before the body is read)
        assert issue.status_code == (404 if user.role == "issuer" else 403)
    assert client.get(url, headers=bearer(client, world.manager78)).status_code == 200
    assert client.get(url, headers=bearer(client, world.issuer78)).json["status"] == "handed_out"
    assert db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "booklet.revoked")) == 0


def test_revoke_then_vouchers_check_as_revoked(client, world):
    headers = bearer(client, world.issuer78)
    booklet = new_booklet(client, headers)
    url = f"{API}/booklets/{booklet['id']}/revoke"
    assert client.post(url, headers=headers, json={"reason": "misplaced"}).status_code == 400
    assert client.post(url, headers=headers, json={"note": "x"}).status_code == 400
    revoked = client.post(url, headers=headers, json={"reason": "stolen", "note": "Sac volé"})
    assert revoked.status_code == 200
    assert revoked.json["status"] == "revoked"
    assert revoked.json["revoke_reason"] == "stolen"
    assert {v["status"] for v in revoked.json["vouchers"]} == {"revoked"}
    for voucher in booklet["vouchers"][:3]:
        check = client.get(f"{API}/vouchers/check", headers=headers,
                           query_string={"code": voucher["manual_code"]})
        assert check.status_code == 200
        assert check.json["valid"] is False
        assert check.json["reason"] == "voucher_revoked"
        assert check.json["status"] == "revoked"
    again = client.post(url, headers=headers, json={"reason": "lost"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_revoked"


def test_replace_reissues_exactly_the_revoked_vouchers(client, world):
    """A replacement carries the revoked vouchers' values and validity end, once;
    a booklet whose vouchers were all spent has nothing to replace (the issue's 300 €)."""
    from passnum.booklets.models import Voucher
    from passnum.core.db import unit_of_work
    from passnum.redemptions.services import redeem

    def spend(serials: list[str]) -> None:
        codes = db.session.scalars(select(Voucher.manual_code).where(
            Voucher.serial.in_(serials)))
        with unit_of_work():
            redeem(list(codes), venue=world.venue78, workshop=None, actor=world.agent78,
                   channel="test")

    headers = bearer(client, world.issuer78)
    booklet = new_booklet(client, headers)
    spend([v["serial"] for v in booklet["vouchers"][:8]])
    url = f"{API}/booklets/{booklet['id']}"
    live = client.post(f"{url}/replace", headers=headers, json={})
    assert live.status_code == 422 and live.json["error"]["code"] == "not_revoked"
    assert client.post(f"{url}/replace", headers=headers,
                       json={"vouchers": 10}).json["error"]["code"] == "unknown_field"
    assert client.post(f"{url}/revoke", headers=headers,
                       json={"reason": "lost"}).status_code == 200
    response = client.post(f"{url}/replace", headers=headers, json={})
    assert response.status_code == 201, response.json
    replacement = response.json
    assert replacement["replaces_booklet_id"] == booklet["id"]
    assert replacement["beneficiary_id"] == booklet["beneficiary_id"]
    assert [v["value_cents"] for v in replacement["vouchers"]] == [1000, 1000]
    assert {v["expires_on"] for v in replacement["vouchers"]} == {booklet["expires_on"]}
    assert {v["serial"] for v in replacement["vouchers"]}.isdisjoint(
        v["serial"] for v in booklet["vouchers"])
    again = client.post(f"{url}/replace", headers=headers, json={})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_replaced"

    spend([v["serial"] for v in replacement["vouchers"]])
    second = f"{API}/booklets/{replacement['id']}"
    assert client.post(f"{second}/revoke", headers=headers,
                       json={"reason": "lost"}).status_code == 200
    empty = client.post(f"{second}/replace", headers=headers, json={})
    assert empty.status_code == 422
    assert empty.json["error"]["code"] == "nothing_to_replace"
    assert _booklets() == 2


def test_pdf_is_a_pdf_and_only_a_post_counts_a_print(client, world):
    headers = bearer(client, world.issuer78)
    booklet = new_booklet(client, headers)
    printed = select(func.count(AuditEvent.id)).where(AuditEvent.action == "booklet.printed")
    read = client.get(f"{API}/booklets/{booklet['id']}/pdf", headers=headers)
    assert read.status_code == 200 and read.mimetype == "application/pdf"
    assert read.data.startswith(b"%PDF")
    db.session.expire_all()
    assert db.session.get(Booklet, booklet["id"]).printed_count == 0  # a GET is a read
    assert db.session.scalar(printed) == 0
    response = client.post(f"{API}/booklets/{booklet['id']}/pdf", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    db.session.expire_all()
    assert db.session.get(Booklet, booklet["id"]).printed_count == 1
    assert db.session.scalar(printed) == 1

"""POST /api/v1/redemptions and DELETE /api/v1/redemptions/<id>: every refusal reason."""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from passnum.booklets.models import BookletStatus
from passnum.booklets.services import revoke_booklet
from passnum.core import clock
from passnum.core.codes import new_manual_code
from passnum.core.db import unit_of_work
from passnum.core.signing import sign_serial, voucher_url
from passnum.extensions import db
from passnum.redemptions.models import RedemptionLine
from passnum.redemptions.services import MAX_BASKET
from passnum.venues.models import LabelStatus
from tests.api.conftest import API, bearer
from tests.factories import issue, make_beneficiary, make_workshop


@pytest.fixture
def booklet(world):
    return issue(world.issuer78, make_beneficiary(world.issuer78))


@pytest.fixture
def agent(client, world):
    return bearer(client, world.agent78)


def post(client, headers, codes, workshop_id=None, **extra):
    body = {"codes": codes}
    if workshop_id is not None:
        body["workshop_id"] = workshop_id
    return client.post(f"{API}/redemptions", headers={**headers, **extra}, json=body)


def live_lines() -> int:
    return db.session.scalar(select(func.count()).select_from(RedemptionLine)
                             .where(RedemptionLine.undone_at.is_(None)))


def test_redeem_then_refuse_already_redeemed(client, world, booklet, agent):
    v = booklet.vouchers[0]
    response = post(client, agent, [voucher_url(sign_serial(v.serial))])
    assert response.status_code == 201
    body = response.json
    assert body["venue_id"] == world.venue78.id and body["total_cents"] == 1000
    assert body["vouchers"] == [{"serial": v.serial, "value_cents": 1000}]
    response = post(client, agent, [v.manual_code.lower()])
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "already_redeemed"
    assert world.venue78.name in error["message"]
    assert error["details"]["vouchers"][0]["code"] == "already_redeemed"


def test_basket_with_one_bad_voucher_redeems_none(client, world, booklet, agent):
    workshop = make_workshop(world.venue78, price=3)
    codes = [v.manual_code for v in booklet.vouchers[:2]] + [new_manual_code()]
    response = post(client, agent, codes, workshop.id)
    assert response.status_code == 404 and response.json["error"]["code"] == "unknown_code"
    assert [v["code"] for v in response.json["error"]["details"]["vouchers"]] == [
        "ok", "ok", "unknown_code"]
    assert live_lines() == 0
    response = post(client, agent, [v.manual_code for v in booklet.vouchers[:3]], workshop.id)
    assert response.status_code == 201 and len(response.json["vouchers"]) == 3


def _setup_reason(reason, world, booklet):
    """Bring the world into the state that makes a single-voucher redemption fail."""
    code, workshop = booklet.vouchers[0].manual_code, None
    if reason == "invalid_code":
        code = "78-ZZZZ-ZZZZ-01.not-a-signature"
    elif reason == "unknown_code":
        code = new_manual_code()
    elif reason == "voucher_revoked":
        with unit_of_work():
            revoke_booklet(world.issuer78, booklet, reason="stolen")
    elif reason == "voucher_expired":
        booklet.valid_from = clock.today() - timedelta(days=60)
        booklet.expires_on = clock.today() - timedelta(days=1)
    elif reason == "not_yet_valid":
        booklet.valid_from = clock.today() + timedelta(days=2)
    elif reason == "not_activated":
        booklet.status, booklet.beneficiary_id = BookletStatus.IN_STOCK, None
    elif reason == "programme_closed":
        world.programme.closed_at = clock.now()
    elif reason == "venue_not_active":
        world.venue78.label_status = LabelStatus.SUSPENDED
    elif reason == "workshop_full":
        workshop = make_workshop(world.venue78, capacity=1)
        with unit_of_work():
            from passnum.redemptions.services import redeem

            redeem([booklet.vouchers[1].manual_code], venue=world.venue78,
                   workshop=workshop, actor=world.agent78, channel="test")
    elif reason == "workshop_past":
        workshop = make_workshop(world.venue78, days=-3)
    elif reason == "workshop_cancelled":
        workshop = make_workshop(world.venue78, cancelled=True)
    elif reason == "wrong_voucher_count":
        workshop = make_workshop(world.venue78, price=2)
    db.session.commit()
    return code, workshop


@pytest.mark.parametrize(("reason", "status"), [
    ("invalid_code", 400), ("unknown_code", 404), ("voucher_revoked", 422),
    ("voucher_expired", 422), ("not_yet_valid", 422), ("not_activated", 422),
    ("programme_closed", 422), ("venue_not_active", 422), ("workshop_full", 422),
    ("workshop_past", 422), ("workshop_cancelled", 422), ("wrong_voucher_count", 422),
])
def test_each_refusal_reason(client, world, booklet, agent, reason, status):
    code, workshop = _setup_reason(reason, world, booklet)
    before = live_lines()
    response = post(client, agent, [code], workshop.id if workshop else None)
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == reason and error["message"]
    assert live_lines() == before


def test_duplicate_code_in_basket_and_bad_bodies(client, world, booklet, agent):
    code = booklet.vouchers[0].manual_code
    workshop = make_workshop(world.venue78, price=2)
    response = post(client, agent, [code, code.lower()], workshop.id)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "duplicate_code"
    for body in ({}, {"codes": []}, {"codes": "x"}, {"codes": [1]}, {"codes": ["x"] * 21},
                 {"codes": ["x"], "workshop_id": "1"}, {"codes": ["x"], "extra": 1}):
        response = client.post(f"{API}/redemptions", headers=agent, json=body)
        assert response.status_code == 400, body


def test_only_venue_agents_redeem(client, world, booklet):
    for user in (world.issuer78, world.manager78, world.admin):
        response = post(client, bearer(client, user), [booklet.vouchers[0].manual_code])
        assert response.status_code == 403
    assert post(client, {}, [booklet.vouchers[0].manual_code]).status_code == 401


def test_workshop_of_another_venue_is_404(client, world, booklet, agent):
    from tests.factories import make_venue

    foreign = make_workshop(make_venue(world.d78))
    response = post(client, agent, [booklet.vouchers[0].manual_code], foreign.id)
    assert response.status_code == 404


def test_retry_with_same_idempotency_key_changes_nothing(client, world, booklet, agent):
    code = booklet.vouchers[0].manual_code
    first = post(client, agent, [code], **{"Idempotency-Key": "scan-42"})
    again = post(client, agent, [code], **{"Idempotency-Key": "scan-42"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert live_lines() == 1


def test_retry_of_an_undone_redemption_is_409_redemption_undone(client, world, booklet, agent):
    code = booklet.vouchers[0].manual_code
    first = post(client, agent, [code], **{"Idempotency-Key": "scan-43"})
    assert client.delete(f"{API}/redemptions/{first.json['id']}",
                         headers=agent).status_code == 200
    again = post(client, agent, [code], **{"Idempotency-Key": "scan-43"})
    assert again.status_code == 409, again.json
    assert again.json["error"]["code"] == "redemption_undone"
    assert "annulé le " in again.json["error"]["message"]
    assert "Idempotent-Replayed" not in again.headers
    assert live_lines() == 0


def test_undo_through_the_api(client, world, booklet, agent):
    code = booklet.vouchers[0].manual_code
    redemption_id = post(client, agent, [code]).json["id"]
    other = bearer(client, world.issuer78)
    assert client.delete(f"{API}/redemptions/{redemption_id}", headers=other).status_code == 404
    response = client.delete(f"{API}/redemptions/{redemption_id}", headers=agent)
    assert response.status_code == 200 and response.json["undone_at"]
    again = client.delete(f"{API}/redemptions/{redemption_id}", headers=agent)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_undone"
    assert client.delete(f"{API}/redemptions/999999", headers=agent).status_code == 404
    assert client.get(f"{API}/vouchers/check?code={code}", headers=agent).json["valid"] is True
    late = post(client, agent, [code]).json["id"]
    with clock.frozen(clock.now() + timedelta(hours=25)):
        fresh = bearer(client, world.agent78)  # the first token has expired by then
        response = client.delete(f"{API}/redemptions/{late}", headers=fresh)
    assert response.status_code == 422 and response.json["error"]["code"] == "undo_expired"


@pytest.mark.parametrize(("body", "code", "field", "message"), [
    ({}, "missing_field", "codes", "Le champ « codes » est obligatoire."),
    ({"codes": None}, "invalid_type", "codes", "Le champ « codes » doit être une liste."),
    ({"codes": "x"}, "invalid_type", "codes", "Le champ « codes » doit être une liste."),
    ({"codes": []}, "invalid_input", "codes",
     f"Le champ « codes » doit compter de 1 à {MAX_BASKET} éléments."),
    ({"codes": ["x"] * (MAX_BASKET + 1)}, "invalid_input", "codes",
     f"Le champ « codes » doit compter de 1 à {MAX_BASKET} éléments."),
    ({"codes": [1]}, "invalid_type", "codes",
     "Le champ « codes » doit être une chaîne de caractères."),
    ({"codes": ["x" * 301]}, "invalid_input", "codes",
     "Le champ « codes » dépasse 300 caractères."),
    ({"codes": ["x\x00"]}, "invalid_input", "codes",
     "Le champ « codes » contient des caractères interdits."),
    ({"codes": ["x"], "workshop_id": "1"}, "invalid_type", "workshop_id",
     "Le champ « workshop_id » doit être un nombre entier."),
    ({"codes": ["x"], "workshop_id": 1.0}, "invalid_type", "workshop_id",
     "Le champ « workshop_id » doit être un nombre entier."),
    ({"codes": ["x"], "workshop_id": 0}, "invalid_input", "workshop_id",
     "Le champ « workshop_id » est hors des valeurs permises."),
    ({"codes": ["x"], "extra": 1}, "unknown_field", "extra", "Champ inconnu : « extra »."),
    ({"workshop_id": "1", "extra": 1}, "unknown_field", "extra",
     "Champ inconnu : « extra »."),
])
def test_a_malformed_body_names_its_field(client, world, agent, body, code, field, message):
    """The error contract of body parsing: a stable code, the field, a French sentence."""
    response = client.post(f"{API}/redemptions", headers=agent, json=body)
    assert response.status_code == 400
    assert response.json["error"] == {"code": code, "field": field, "message": message}


def test_a_redemption_reads_the_agents_venue_once_with_the_token(client, booklet, agent):
    """The caller's lookup brings the venue along (one statement); the request must not
    read it again (it did once the venue, held by nothing, left the session)."""
    read_again = []

    def watch(_conn, _cursor, statement, *_args):
        if statement.lstrip().startswith("SELECT venues."):
            read_again.append(statement)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        response = post(client, agent, [booklet.vouchers[0].manual_code])
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert response.status_code == 201
    assert read_again == []

"""Administrators and managers log in with a second factor (TOTP, RFC 6238)."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.auth import totp
from passnum.auth.models import Role, User
from passnum.auth.services import reset_second_factor
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from tests.api.conftest import API, api_client
from tests.factories import PASSWORD, TOTP_SECRET, World, fresh_code, login, make_user


@pytest.fixture
def app2fa(app):
    app.config["TOTP_ROLES"] = ("admin", "manager")
    return app


def events(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == action))


def code_now(secret: str = TOTP_SECRET, *, shift: int = 0) -> str:
    return totp.code_for(secret, totp.step_of(clock.now()) + shift)


def test_rfc_6238_reference_codes():
    secret = base64.b32encode(b"12345678901234567890").decode()
    for at, code in ((59, "287082"), (1111111109, "081804"), (2000000000, "279037")):
        assert totp.code_for(secret, totp.step_of(datetime.fromtimestamp(at, UTC))) == code


def test_codes_match_one_step_either_side_and_name_their_step():
    secret, at = TOTP_SECRET, datetime.fromtimestamp(1_700_000_000, UTC)
    step = totp.step_of(at)
    for shift in (-1, 0, 1):
        code = totp.code_for(secret, step + shift)
        assert totp.matching_step(secret, code, at) == step + shift
        assert totp.matching_step(secret, f"{code[:3]} {code[3:]}", at) == step + shift
    for shift in (-2, 2):
        assert totp.matching_step(secret, totp.code_for(secret, step + shift), at) is None
    assert totp.matching_step(secret, "12345", at) is None
    assert totp.matching_step(secret, "abcdef", at) is None


def test_secrets_and_the_enrolment_address():
    secret = totp.new_secret()
    assert len(base64.b32decode(secret)) == 20  # 160 bits, as before pyotp
    assert totp.new_secret() != secret
    uri = totp.provisioning_uri(secret, "gestion@example.org")
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    assert "issuer=Pass%20num%C3%A9rique%2078-92" in uri and "gestion%40example.org" in uri


def test_first_login_sets_up_the_app_then_asks_for_a_code(client, app2fa):
    manager = make_user(Role.MANAGER, totp=False, departement_id=World().d78.id)
    response = client.post("/connexion", data={"email": manager.email, "password": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/connexion/activation")
    assert client.get("/programmes/").status_code == 302  # not logged in yet
    page = client.get("/connexion/activation")
    assert page.status_code == 200 and "<svg" in page.text and 'role="img"' in page.text
    db.session.expire_all()
    secret = db.session.get(User, manager.id).totp_secret
    assert secret and totp.grouped(secret) in page.text
    wrong = client.post("/connexion/activation", data={"code": "000000"})
    assert wrong.status_code == 422 and "Code incorrect" in wrong.text
    done = client.post("/connexion/activation", data={"code": code_now(secret)})
    assert done.status_code == 302
    assert client.get("/tableau-de-bord/").status_code in (200, 422)  # logged in
    assert events("auth.totp_enabled") == 1 and events("auth.login") == 1
    assert events("auth.totp_failed") == 1
    client.post("/deconnexion")
    again = client.post("/connexion", data={"email": manager.email, "password": PASSWORD})
    assert again.location.endswith("/connexion/code")


def test_a_code_works_once(client, app2fa):
    admin = make_user(Role.ADMIN)
    client.post("/connexion", data={"email": admin.email, "password": PASSWORD})
    code = code_now()
    assert client.post("/connexion/code", data={"code": code}).status_code == 302
    client.post("/deconnexion")
    client.post("/connexion", data={"email": admin.email, "password": PASSWORD})
    replay = client.post("/connexion/code", data={"code": code})
    assert replay.status_code == 422 and "déjà utilisé" in replay.text
    with clock.frozen(clock.now() + timedelta(seconds=30)):
        assert client.post("/connexion/code",
                           data={"code": code_now()}).status_code == 302


def test_wrong_codes_make_the_address_wait(client, app2fa):
    admin = make_user(Role.ADMIN)
    client.post("/connexion", data={"email": admin.email, "password": PASSWORD})
    for _ in range(5):
        assert client.post("/connexion/code", data={"code": "123456"}).status_code == 422
    locked = client.post("/connexion/code", data={"code": code_now()})
    assert locked.status_code == 422 and "depuis cette connexion" in locked.text
    assert events("auth.totp_failed") == 5 and events("auth.locked") == 1


def test_the_password_step_expires(client, app2fa):
    admin = make_user(Role.ADMIN)
    client.post("/connexion", data={"email": admin.email, "password": PASSWORD})
    with clock.frozen(clock.now() + timedelta(minutes=6)):
        response = client.post("/connexion/code", data={"code": code_now()})
    assert response.status_code == 302 and response.location.endswith("/connexion")
    assert client.get("/connexion/code").location.endswith("/connexion")  # nothing pending


def test_issuers_and_venue_agents_need_no_code(client, app2fa):
    world = World()
    response = client.post("/connexion", data={"email": world.issuer78.email,
                                               "password": PASSWORD})
    assert response.status_code == 302 and "/connexion" not in response.location


def test_shared_login_helper_goes_through_both_steps(client, app2fa):
    admin = make_user(Role.ADMIN, totp=False)
    assert login(client, admin).status_code == 302
    assert client.get("/programmes/").status_code == 200


def test_api_tokens_need_the_code(app2fa):
    client = api_client(app2fa)
    admin = make_user(Role.ADMIN)
    body = {"email": admin.email, "password": PASSWORD}
    missing = client.post(f"{API}/tokens", json=body)
    assert missing.status_code == 401 and missing.json["error"]["code"] == "totp_required"
    wrong = client.post(f"{API}/tokens", json={**body, "totp": "000000"})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "invalid_totp"
    right = client.post(f"{API}/tokens", json={**body, "totp": fresh_code(admin.id)})
    assert right.status_code == 201
    new = make_user(Role.ADMIN, totp=False)
    refused = client.post(f"{API}/tokens", json={"email": new.email, "password": PASSWORD,
                                                 "totp": "123456"})
    assert refused.json["error"]["code"] == "totp_not_enrolled"


def test_only_an_admin_resets_the_second_factor(app2fa):
    world = World()
    with pytest.raises(DomainError) as err, unit_of_work():
        reset_second_factor(world.manager92, world.manager78)
    assert err.value.code == "forbidden"
    with unit_of_work():
        reset_second_factor(world.admin, world.manager78)
    db.session.expire_all()
    assert db.session.get(User, world.manager78.id).totp_enabled_at is None
    assert events("auth.totp_reset") == 1


def test_the_command_line_resets_the_second_factor(app2fa):
    admin = make_user(Role.ADMIN)
    result = app2fa.test_cli_runner().invoke(args=["users", "reset-totp", "--email",
                                                   admin.email.upper()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, admin.id).totp_secret is None
    unknown = app2fa.test_cli_runner().invoke(args=["users", "reset-totp", "--email", "x@y.fr"])
    assert unknown.exit_code != 0 and "Aucun compte" in unknown.output

"""Self-service password reset: one e-mail through a real SMTP server, a link that works
once within the hour, every old session ended, the second factor still asked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select

from passnum.auth.models import ApiToken, Role, User
from passnum.auth.services import issue_api_token
from passnum.core.clock import frozen
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.messages.models import MessageStatus, OutboxMessage
from tests.conftest import IsolatedClient, make_app
from tests.factories import PASSWORD, login, make_departement, make_user
from tests.mailserver import MailServer

NEW_PASSWORD = "un matin de brume sur la Seine"
SENT = "Si un compte existe pour cette adresse, un lien vient d&#39;être envoyé."
LINK = re.compile(r"http://passnum\.test(/mot-de-passe/nouveau/\S+)")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _client(app: Flask) -> IsolatedClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


def _ask(client, email: str):
    """Ask for a link; the response is closed as a WSGI server closes it once sent,
    which is when the view has the e-mail delivered."""
    answer = client.post("/mot-de-passe/oublie", data={"email": email})
    answer.close()
    return answer


def _link(mail: MailServer, index: int = -1) -> str:
    body = mail.received[index].email.get_content()
    found = LINK.search(body)
    assert found, body
    return found[1]


def _set(client, link: str, password: str = NEW_PASSWORD):
    opened = client.get(link)
    assert opened.status_code == 302 and opened.location == "/mot-de-passe/nouveau"
    return client.post("/mot-de-passe/nouveau", data={"password": password,
                                                      "confirm": password})


def test_the_login_page_offers_the_reset(client):
    page = client.get("/connexion").get_data(as_text=True)
    assert 'href="/mot-de-passe/oublie">Mot de passe oublié ?</a>' in page


def test_forgotten_password_delivers_one_email_whose_link_works_once(app, mail):
    """With a real SMTP server, *Mot de passe oublié* delivers one e-mail, its link sets a
    new password once, a second use is refused, the old sessions are gone."""
    user = make_user(Role.ADMIN, totp=False)
    old = _client(app)
    assert login(old, user).status_code == 302
    with unit_of_work():
        issue_api_token(db.session.get(User, user.id), hours=1)

    client = _client(app)
    answer = _ask(client, user.email.upper())
    assert answer.status_code == 302 and answer.location == "/connexion"
    assert SENT in client.get("/connexion").get_data(as_text=True)
    assert len(mail.received) == 1  # delivered by the request, not left for cron
    email = mail.received[0].email
    assert email["To"] == user.email
    assert email["Subject"] == "Pass numérique : réinitialisation de votre mot de passe"
    link = _link(mail)

    done = _set(client, link)
    assert done.status_code == 302 and done.location == "/connexion"
    assert "Mot de passe enregistré" in client.get("/connexion").get_data(as_text=True)

    again = _client(app).get(link)  # a second use is refused
    assert again.status_code == 400
    assert "n&#39;est pas valable ou a déjà servi" in again.get_data(as_text=True)

    assert old.get("/").status_code == 302  # the old session is gone
    assert old.get("/").location.startswith("/connexion")
    tokens = db.session.scalars(select(ApiToken.revoked_at)).all()
    assert tokens and all(revoked is not None for revoked in tokens)
    assert login(_client(app), user, PASSWORD).status_code == 422
    assert login(_client(app), user, NEW_PASSWORD).location == "/"
    actions = db.session.scalars(select(func.count()).where(
        OutboxMessage.kind == "password_reset", OutboxMessage.status == MessageStatus.SENT))
    assert actions.one() == 1


def test_an_unknown_or_disabled_address_gets_the_same_answer_and_no_mail(app, mail):
    user = make_user(Role.ADMIN, totp=False)
    with unit_of_work():
        db.session.get(User, user.id).is_active_account = False
    for email in ("nobody@example.org", user.email):
        client = _client(app)
        answer = _ask(client, email)
        assert (answer.status_code, answer.location) == (302, "/connexion")
        assert SENT in client.get("/connexion").get_data(as_text=True)
    assert mail.received == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_link_expires_after_one_hour(app, mail):
    user = make_user(Role.ADMIN, totp=False)
    with frozen(T0):
        _ask(_client(app), user.email)
    link = _link(mail)
    with frozen(T0 + timedelta(minutes=59)):
        assert _client(app).get(link).status_code == 302
    with frozen(T0 + timedelta(hours=1, seconds=1)):
        late = _client(app).get(link)
    assert late.status_code == 400
    assert "a expiré (il vaut une heure)" in late.get_data(as_text=True)


def test_a_link_expiring_while_the_form_is_open_is_refused(app, mail):
    user = make_user(Role.ADMIN, totp=False)
    client = _client(app)
    with frozen(T0):
        _ask(client, user.email)
        assert client.get(_link(mail)).status_code == 302
    with frozen(T0 + timedelta(hours=2)):
        late = client.post("/mot-de-passe/nouveau", data={"password": NEW_PASSWORD,
                                                          "confirm": NEW_PASSWORD})
    assert late.status_code == 400
    assert login(_client(app), user, PASSWORD).location == "/"  # unchanged


def test_a_weak_password_is_refused_and_the_link_still_works(app, mail):
    user = make_user(Role.ADMIN, totp=False)
    client = _client(app)
    _ask(client, user.email)
    weak = _set(client, _link(mail), "motdepasse")
    assert weak.status_code == 400
    assert "au moins 12 caractères" in weak.get_data(as_text=True)
    done = client.post("/mot-de-passe/nouveau", data={"password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD})
    assert done.location == "/connexion"


def test_a_manager_still_passes_the_second_factor(app, mail):
    manager = make_user(Role.MANAGER, departement_id=make_departement().id)
    client = _client(app)
    _ask(client, manager.email)
    _set(client, _link(mail))
    first = _client(app).post("/connexion", data={"email": manager.email,
                                                  "password": NEW_PASSWORD})
    assert first.status_code == 302 and first.location.startswith("/connexion/code")


def test_a_new_link_after_a_reset_is_needed_for_another_reset(app, mail):
    user = make_user(Role.ADMIN, totp=False)
    with frozen(T0):
        _ask(_client(app), user.email)
    with frozen(T0 + timedelta(minutes=1)):
        _ask(_client(app), user.email)  # two links, both valid until one is used
        first, second = _link(mail, 0), _link(mail, 1)
        assert first != second
        assert _set(_client(app), second).location == "/connexion"
        assert _client(app).get(first).status_code == 400


def test_requests_are_rate_limited_per_address_and_per_e_mail(backend, tmp_path, request):
    app = make_app(backend, tmp_path, request, RATELIMIT_ENABLED=True,
                   RATELIMIT_PASSWORD_RESET_EMAIL="2 per hour",
                   RATELIMIT_PASSWORD_RESET="4 per hour", MAIL_DIR=str(tmp_path / "mail"))
    with app.app_context():
        client = _client(app)
        assert _ask(client, "someone@example.org").status_code == 302
        assert _ask(client, "Someone@example.org").status_code == 302
        refused = _ask(client, "someone@example.org")
        assert refused.status_code == 429
        assert "Trop de demandes de réinitialisation" in refused.get_data(as_text=True)
        # every request counts against the address, refused ones too: this is its 4th
        assert _ask(client, "other@example.org").status_code == 302
        assert _ask(client, "third@example.org").status_code == 429
        other = _client(app)
        other.environ_base = {"REMOTE_ADDR": "192.0.2.7"}
        assert _ask(other, "fourth@example.org").status_code == 302
        assert _ask(other, "someone@example.org").status_code == 429  # that e-mail's budget
        db.session.remove()
        db.engine.dispose()


def test_with_the_mail_server_down_the_link_is_sent_by_the_jobs_command(app, mail):
    user = make_user(Role.ADMIN, totp=False)
    mail.stop()
    with frozen(T0):
        answer = _ask(_client(app), user.email)
    assert (answer.status_code, answer.location) == (302, "/connexion")
    assert db.session.scalar(select(OutboxMessage.status)) == MessageStatus.PENDING
    mail.start()
    with frozen(T0 + timedelta(minutes=2)):
        result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert "Messages : 1 envoyé(s)" in result.output
    assert len(mail.received) == 1


def test_the_link_is_never_logged(app, mail, json_lines):
    user = make_user(Role.ADMIN, totp=False)
    client = _client(app)
    _ask(client, user.email)
    link = _link(mail)
    _set(client, link)
    token = link.rsplit("/", 1)[1]
    assert token not in "\n".join(json_lines.lines)
    entries = json_lines.entries()
    paths = [e["path"] for e in entries if e["logger"] == "passnum.access"]
    assert "/mot-de-passe/nouveau/…" in paths

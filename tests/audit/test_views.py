"""``/journal``: administrators search the audit log and check the chain."""

import re

from sqlalchemy import update

from passnum.audit.models import AuditEvent
from passnum.audit.services import record
from passnum.auth.models import Role
from passnum.core.db import unit_of_work
from passnum.extensions import db
from tests.audit.tampering import as_attacker
from tests.factories import World, login, make_user


def rows(page: str) -> list[str]:
    """The action of each row shown."""
    return re.findall(r"<td[^>]*><code>([a-z_.]+)</code></td>", page)


def test_admin_searches_the_log(client, app):
    admin = make_user(Role.ADMIN)
    with unit_of_work():
        for i in range(60):
            record("booklet.printed", actor_id=admin.id, object_type="booklet", object_id=i)
        record("statement.validated", actor_id=None, object_type="statement", object_id=7)
    login(client, admin)
    page = client.get("/journal/").text
    assert rows(page)[0] == "auth.login"  # newest first: the login just made
    assert "page 1 sur 2" in page and len(rows(page)) == 50
    older = client.get("/journal/?page=2").text
    assert len(rows(older)) == len(rows(page + older)) - 50 > 0
    only = client.get("/journal/?object_type=statement&object_id=7").text
    assert rows(only) == ["statement.validated"] and "système" in only
    prefix = client.get("/journal/?action=auth.").text
    assert set(rows(prefix)) == {"auth.login"}
    mine = client.get(f"/journal/?actor_id={admin.id}&action=booklet").text
    assert "61 entrées" not in mine and "60 entrées" in mine


def test_bad_filters_get_french_messages(client, app):
    login(client, make_user(Role.ADMIN))
    for query in ("action=DROP%20TABLE", "actor_id=abc", "start=2024-13-45",
                  "object_id=%3Cscript%3E", "actor_id=99999999999"):
        response = client.get(f"/journal/?{query}")
        assert response.status_code == 400, query
        assert 'class="error"' in response.text
    assert client.get("/journal/?page=-3").status_code == 200
    assert client.get("/journal/?page=999").status_code == 200


def test_the_chain_check_names_the_first_bad_entry(client, app):
    login(client, make_user(Role.ADMIN))
    page = client.post("/journal/verifier", follow_redirects=True).text
    assert "Journal intact" in page
    with unit_of_work():
        as_attacker()
        db.session.execute(update(AuditEvent).where(AuditEvent.seq == 1)
                           .values(details='{"forged": true}'))
    page = client.post("/journal/verifier", follow_redirects=True).text
    assert "Journal altéré : entrée n° 1 réécrite" in page


def test_only_admins_read_the_log(client, app):
    world = World()
    login(client, world.manager78)
    assert client.get("/journal/").status_code == 403
    assert client.post("/journal/verifier").status_code == 403

"""The dashboard's scope predicates, and its département resolved through them."""

from __future__ import annotations

import pytest

from passnum.auth.models import Role, User
from passnum.auth.scope import may_see_departement_figures, sees_every_departement_figures
from passnum.dashboard.queries import departement_scope
from passnum.errors import Forbidden, NotFound
from tests.factories import make_departement, make_user


def test_dashboard_predicates():
    admin = User(role=Role.ADMIN)
    manager = User(role=Role.MANAGER, departement_id=5)
    issuer = User(role=Role.ISSUER, departement_id=5)
    assert sees_every_departement_figures(admin)
    assert not sees_every_departement_figures(manager)
    assert may_see_departement_figures(admin, None) and may_see_departement_figures(admin, 9)
    assert may_see_departement_figures(manager, 5)
    assert not may_see_departement_figures(manager, 9)
    assert not may_see_departement_figures(manager, None)  # all départements together
    assert not may_see_departement_figures(issuer, 5)


def test_dashboard_departement_scope(app):
    d78, d92, d2a = make_departement("78"), make_departement("92"), make_departement("2A")
    admin = make_user(Role.ADMIN)
    manager = make_user(Role.MANAGER, departement_id=d78.id)
    assert departement_scope(admin, None) is None
    assert departement_scope(admin, " 92 ") == d92
    assert departement_scope(admin, "2a") == d2a  # read as every code is, letter case aside
    assert departement_scope(admin, "92", clamp=True) == d92
    assert departement_scope(manager, "") == d78
    assert departement_scope(manager, "78") == d78
    assert departement_scope(manager, "92", clamp=True) == d78  # the page keeps their own
    with pytest.raises(Forbidden):
        departement_scope(manager, "92")
    for unknown in ("99", "7800"):
        with pytest.raises(NotFound):
            departement_scope(admin, unknown)
    for other in (User(role=Role.ISSUER), User(role=Role.VENUE_AGENT)):
        for code in ("", "78"):
            with pytest.raises(Forbidden):  # out of scope whatever the route let through
                departement_scope(other, code)

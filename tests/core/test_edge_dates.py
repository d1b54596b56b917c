"""Every endpoint that takes a date range or a month answers bad dates with a 400 and a
French message, never a 500: out of the allowed range (0001-01-01, 9999-12-31, before
2000), malformed, or a start after its end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.factories import World, fresh_code, login, make_workshop

API = "/api/v1"
OUT_OF_RANGE = ("start=0001-01-01", "end=9999-12-31", "start=0001-01-01&end=9999-12-31",
                "start=1969-12-31", "end=1969-12-31", "start=2101-01-01")
MALFORMED = ("start=n%27importe%20quoi", "end=2024-13-45", "start=%EF%BC%92%EF%BC%90"
             "%EF%BC%92%EF%BC%94-01-01", "end=01/02/2025", "start=2024-02-30")
REVERSED = ("start=2025-02-01&end=2025-01-01",)
PERIODS_OUT = ("period=0001-01", "period=9999-12", "period=1969-12")
PERIODS_BAD = ("period=2024-13", "period=mars", "period=24-3")
# the French words that a refusal shows, whatever the page
MESSAGES = ("hors limites", "Date invalide", "doit suivre", "doit précéder",
            "Mois invalide", "Période invalide", "date valide")


def _token(client: Any, user: Any) -> dict[str, str]:
    credentials = {"email": user.email, "password": "correct-horse-battery",
                   "totp": fresh_code(user.id)}
    response = client.post(f"{API}/tokens", json=credentials)
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def _session(role: str) -> Callable[[Any, World], dict[str, str]]:
    def log_in(client: Any, world: World) -> dict[str, str]:
        login(client, getattr(world, role))
        return {}
    return log_in


def _api(client: Any, world: World) -> dict[str, str]:
    return _token(client, world.admin)


DATE_RANGES = {
    "dashboard": ("/tableau-de-bord/?", _session("admin")),
    "dashboard_csv": ("/tableau-de-bord/export.csv?table=summary&", _session("admin")),
    "dashboard_xlsx": ("/tableau-de-bord/export.xlsx?", _session("admin")),
    "dashboard_pdf": ("/tableau-de-bord/rapport.pdf?", _session("admin")),
    "manager_dashboard": ("/tableau-de-bord/?", _session("manager78")),
    "stats_api": (f"{API}/stats?", _api),
    "venue_history": ("/encaissements/?", _session("agent78")),
    "venue_history_csv": ("/encaissements/export.csv?", _session("agent78")),
    "audit_journal": ("/journal/?", _session("admin")),
}
PERIODS = {
    "statements": ("/releves/?", _session("admin")),
    "statements_finance_csv": ("/releves/export-comptable.csv?", _session("admin")),
}


def _refused(response: Any, query: str, *, api: bool) -> None:
    """A 400 with a French message (the API's JSON error)."""
    assert response.status_code == 400, (query, response.status_code)
    if api:
        assert response.json["error"]["code"] == "invalid_input", query
        text = response.json["error"]["message"]
    else:
        text = response.get_data(as_text=True)
    assert any(words in text for words in MESSAGES), (query, text[:300])


@pytest.mark.parametrize("endpoint", sorted(DATE_RANGES))
def test_edge_dates_are_refused_never_a_500(client, app, endpoint):
    path, log_in = DATE_RANGES[endpoint]
    headers = log_in(client, World())
    ok = client.get(f"{path}start=2025-01-01&end=2025-12-31", headers=headers)
    assert ok.status_code == 200, ok.status_code
    for query in OUT_OF_RANGE + MALFORMED:
        response = client.get(path + query, headers=headers)
        _refused(response, query, api=path.startswith(API))
    for query in REVERSED:
        response = client.get(path + query, headers=headers)
        assert response.status_code in (200, 400), (query, response.status_code)


@pytest.mark.parametrize("endpoint", sorted(PERIODS))
def test_edge_months_are_refused_never_a_500(client, app, endpoint):
    path, log_in = PERIODS[endpoint]
    headers = log_in(client, World())
    assert client.get(f"{path}period=2025-03", headers=headers).status_code == 200
    for query in PERIODS_OUT + PERIODS_BAD:  # the finance export flashes, then redirects
        response = client.get(path + query, headers=headers, follow_redirects=True)
        assert response.status_code < 500, (query, response.status_code)
        if response.status_code != 200 or response.mimetype == "text/html":
            assert any(words in response.get_data(as_text=True) for words in MESSAGES), query


def test_statement_api_refuses_edge_months(client, app):
    world = World()
    headers = _token(client, world.admin)
    for period in ("0001-01", "9999-12", "1969-12", "2024-13", "garbage"):
        response = client.post(f"{API}/statements", headers=headers, json={
            "venue_id": world.venue78.id, "departement": "78", "period": period})
        assert response.status_code == 400, (period, response.status_code, response.json)
        assert response.json["error"]["code"] in ("invalid_period", "invalid_format")


def test_edge_dates_in_forms_are_refused_never_a_500(client, app):
    """The forms that store a date (a workshop's day, a programme's period) use the same
    bounds: a workshop on 0001-01-01 at 00:05 no longer overflows into a 500."""
    world = World()
    login(client, world.admin)
    theme_id = make_workshop(world.venue78).theme_id
    for day, at in (("0001-01-01", "00:05"), ("9999-12-31", "23:55"), ("2101-01-01", "10:00")):
        response = client.post("/ateliers/nouveau", data={
            "venue_id": world.venue78.id, "theme_id": theme_id, "start_date": day,
            "start_time": at, "duration_minutes": 60, "capacity": 5, "price_vouchers": 1})
        assert response.status_code == 422, (day, response.status_code)
        assert "hors limites" in response.text, day
    for starts_on, ends_on in (("0001-01-01", "2025-12-31"), ("2025-01-01", "9999-12-31")):
        response = client.post("/programmes/nouveau", data={
            "name": f"Programme {starts_on}", "starts_on": starts_on, "ends_on": ends_on,
            "target_beneficiaries": 10, "budget_euros": 1000, "vouchers_per_booklet": 10,
            "voucher_value_euros": 10, "validity_months": 12})
        assert response.status_code in (400, 422), (starts_on, ends_on, response.status_code)
        assert "hors limites" in response.text, (starts_on, ends_on)

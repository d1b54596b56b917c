"""Every dashboard figure against independent SQL on a generated data set, and the API."""

# The SQL below is assembled from constant fragments of this file and integer ids only.
# ruff: noqa: S608

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from passnum.auth.models import User
from passnum.core.clock import PARIS, today
from passnum.core.db import unit_of_work
from passnum.dashboard.presentation import NO_WORKSHOP, forecast_method, stats_json
from passnum.dashboard.queries import programme_stats
from passnum.extensions import db
from passnum.sample.seed import SEED_DOMAIN, SEED_PASSWORD, seed
from tests.api.conftest import API, api_client
from tests.factories import fresh_code

BENEFICIARIES = 240


@pytest.fixture
def seeded(app) -> dict[str, Any]:
    """A small generated data set; returns the programme id and département ids."""
    with unit_of_work():
        seed(beneficiaries=BENEFICIARIES, rng_seed=7)
    deps = dict(db.session.execute(text("SELECT code, id FROM departements")).all())
    programme_id = db.session.execute(text("SELECT id FROM programmes")).scalar_one()
    return {"programme_id": programme_id, "deps": deps}


def _rows(sql: str, **params: Any) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(text(sql), params)]


def _dep_filter(alias: str, dep: int | None) -> str:
    return "" if dep is None else f" AND {alias}.departement_id = {int(dep)}"


def _expected_totals(programme_id: int, dep: int | None, day: date) -> dict[str, Any]:
    """The headline figures, counted through structures rather than booklets' columns."""
    sdep = _dep_filter("s", dep)
    by_status = dict(_rows(
        "SELECT b.status, COUNT(*) FROM booklets b JOIN structures s ON s.id = b.structure_id "
        f"WHERE b.programme_id = :p{sdep} GROUP BY b.status", p=programme_id))
    reached = _rows(
        "SELECT COUNT(*) FROM (SELECT DISTINCT b.beneficiary_id FROM booklets b "
        "JOIN structures s ON s.id = b.structure_id WHERE b.beneficiary_id IS NOT NULL "
        f"AND b.programme_id = :p{sdep}) x", p=programme_id)[0][0]
    allocated = _rows(
        "SELECT COALESCE(SUM(a.booklets_allocated), 0) FROM allocations a WHERE "
        "a.programme_id = :p AND a.structure_id IN (SELECT s.id FROM structures s WHERE 1 = 1"
        f"{sdep})", p=programme_id)[0][0]
    quota = _rows("SELECT COALESCE(SUM(q.booklet_quota), 0), COALESCE(SUM(q.target_beneficiaries"
                  "), 0), COALESCE(SUM(q.budget_cents), 0) FROM programme_quotas q WHERE "
                  f"q.programme_id = :p{_dep_filter('q', dep)}", p=programme_id)[0]
    vouchers = Counter()
    for status, expired, booklet_status, count in _rows(
            "SELECT v.status, CASE WHEN b.expires_on < :day THEN 1 ELSE 0 END, b.status, "
            "COUNT(*) FROM vouchers v JOIN booklets b ON b.id = v.booklet_id "
            "JOIN structures s ON s.id = b.structure_id "
            f"WHERE b.programme_id = :p{sdep} GROUP BY 1, 2, 3", p=programme_id, day=day):
        key = status if status != "issued" else (
            "expired" if expired else "in_stock" if booklet_status == "in_stock"
            else "in_circulation")
        vouchers[key] += count
    paid = _rows(
        "SELECT COUNT(*), COALESCE(SUM(v.value_cents), 0) FROM vouchers v "
        "JOIN booklets b ON b.id = v.booklet_id JOIN structures s ON s.id = b.structure_id "
        f"WHERE v.status = 'redeemed' AND b.programme_id = :p{sdep}", p=programme_id)[0]
    return {
        "beneficiaries": {"reached": reached, "target": quota[1]},
        "booklets": {"issued": by_status.get("handed_out", 0) + by_status.get("in_stock", 0),
                     "handed_out": by_status.get("handed_out", 0),
                     "in_stock": by_status.get("in_stock", 0),
                     "revoked": by_status.get("revoked", 0), "allocated": allocated,
                     "quota": quota[0]},
        "vouchers": {"total": sum(vouchers.values()), "redeemed": vouchers["redeemed"],
                     "in_circulation": vouchers["in_circulation"],
                     "in_stock": vouchers["in_stock"], "expired": vouchers["expired"],
                     "revoked": vouchers["revoked"]},
        "euros": {"redeemed_cents": paid[1], "vouchers_paid": paid[0], "budget_cents": quota[2]},
    }


def _expected_structures(programme_id: int, dep: int | None) -> list[dict[str, Any]]:
    sdep = _dep_filter("s", dep)
    booklets = {sid: (live, revoked, people) for sid, live, revoked, people in _rows(
        "SELECT b.structure_id, SUM(CASE WHEN b.status <> 'revoked' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN b.status = 'revoked' THEN 1 ELSE 0 END), "
        "COUNT(DISTINCT b.beneficiary_id) FROM booklets b WHERE b.programme_id = :p "
        "GROUP BY b.structure_id", p=programme_id)}
    redeemed = dict(_rows(
        "SELECT b.structure_id, COUNT(*) FROM vouchers v JOIN booklets b ON b.id = v.booklet_id"
        " WHERE v.status = 'redeemed' AND b.programme_id = :p GROUP BY b.structure_id",
        p=programme_id))
    result = []
    for sid, name, code, allocated in _rows(
            "SELECT s.id, s.name, d.code, a.booklets_allocated FROM structures s "
            "JOIN departements d ON d.id = s.departement_id JOIN allocations a "
            f"ON a.structure_id = s.id AND a.programme_id = :p WHERE 1 = 1{sdep}",
            p=programme_id):
        live, revoked, people = booklets.get(sid, (0, 0, 0))
        result.append({"id": sid, "name": name, "departement": code,
                       "booklets_allocated": allocated, "booklets_issued": live,
                       "booklets_revoked": revoked, "beneficiaries": people,
                       "vouchers_redeemed": redeemed.get(sid, 0),
                       "redeemed_cents": redeemed.get(sid, 0) * 1000})
    return sorted(result, key=lambda r: r["id"])


def _expected_lines(dep: int | None, group: str, join: str) -> dict[Any, tuple]:
    """(redemptions, vouchers, cents) per ``group`` over live redemption lines."""
    return {key: (acts, count, cents) for key, acts, count, cents in _rows(
        f"SELECT {group}, COUNT(DISTINCT r.id), COUNT(*), SUM(l.value_cents) "
        "FROM redemption_lines l JOIN redemptions r ON r.id = l.redemption_id "
        f"{join} WHERE l.undone_at IS NULL{_dep_filter('l', dep)} GROUP BY {group}")}


def _monthly_expected(programme_id: int, dep: int | None) -> dict[str, list[int]]:
    """Paris months computed in Python from the raw timestamps."""
    months: dict[str, list[int]] = {}
    from passnum.booklets.models import Booklet
    from passnum.redemptions.models import Redemption, RedemptionLine

    query = db.select(Booklet.issued_at).where(Booklet.programme_id == programme_id,
                                               Booklet.status != "revoked")
    if dep is not None:
        query = query.where(Booklet.departement_id == dep)
    for (at,) in db.session.execute(query):
        months.setdefault(at.astimezone(PARIS).strftime("%Y-%m"), [0, 0])[0] += 1
    query = db.select(Redemption.redeemed_at, RedemptionLine.value_cents).join(
        RedemptionLine.redemption).where(RedemptionLine.undone_at.is_(None))
    if dep is not None:
        query = query.where(RedemptionLine.departement_id == dep)
    for at, cents in db.session.execute(query):
        months.setdefault(at.astimezone(PARIS).strftime("%Y-%m"), [0, 0])[1] += cents
    return months


def test_every_figure_matches_independent_sql(seeded):
    for dep_code in ("78", "92", None):
        _check_every_figure(seeded, dep_code)


def _check_every_figure(seeded: dict[str, Any], dep_code: str | None) -> None:
    programme_id = seeded["programme_id"]
    dep = seeded["deps"][dep_code] if dep_code else None
    stats = programme_stats(programme_id, departement_id=dep)
    expected = _expected_totals(programme_id, dep, today())
    if dep is None:  # all départements: the programme's own target and budget
        programme = _rows("SELECT target_beneficiaries, budget_cents FROM programmes")[0]
        expected["beneficiaries"]["target"] = programme[0]
        expected["euros"]["budget_cents"] = programme[1]
    for key in ("beneficiaries", "booklets", "vouchers", "euros"):
        assert asdict(getattr(stats, key)) == expected[key], key
    assert stats.vouchers.redeemed > 0 and stats.vouchers.expired > 0
    if dep is None:  # the data set exercises every state
        assert stats.booklets.revoked > 0 and stats.vouchers.revoked > 0
        assert stats.booklets.in_stock > 0
    assert sorted((asdict(s) for s in stats.structures), key=lambda r: r["id"]) == (
        _expected_structures(programme_id, dep))
    venues = _expected_lines(dep, "r.venue_id", "")
    assert {v.id: (v.redemptions, v.vouchers, v.redeemed_cents)
            for v in stats.venues} == venues
    assert len(venues) > 1
    themes = _expected_lines(dep, "w.theme_id",
                             "LEFT JOIN workshops w ON w.id = r.workshop_id")
    assert {t.id: (t.redemptions, t.vouchers, t.redeemed_cents)
            for t in stats.themes} == themes
    names = {t.id: t.name for t in stats.themes}
    assert names[None] == NO_WORKSHOP and len(names) > 2
    monthly = {m.month: [m.booklets_issued, m.redeemed_cents]
               for m in stats.monthly}
    assert monthly == _monthly_expected(programme_id, dep)
    assert sum(m[0] for m in monthly.values()) == stats.booklets.issued


def test_period_filter_restricts_issuance_and_redemptions(seeded):
    programme_id, dep = seeded["programme_id"], seeded["deps"]["78"]
    start, end = today() - timedelta(days=400), today() - timedelta(days=200)
    stats = programme_stats(programme_id, departement_id=dep, start=start, end=end)
    issued = redeemed = 0
    for at, status in _rows("SELECT issued_at, status FROM booklets WHERE departement_id = :d",
                            d=dep):
        day = _aware(at).astimezone(PARIS).date()
        issued += start <= day <= end and status != "revoked"
    for at, cents in _rows(
            "SELECT r.redeemed_at, l.value_cents FROM redemption_lines l JOIN redemptions r "
            "ON r.id = l.redemption_id WHERE l.departement_id = :d", d=dep):
        redeemed += cents if start <= _aware(at).astimezone(PARIS).date() <= end else 0
    assert stats.booklets.issued == issued > 0
    assert stats.euros.redeemed_cents == redeemed > 0
    whole = programme_stats(programme_id, departement_id=dep)
    assert redeemed < whole.euros.redeemed_cents
    assert stats.forecast == whole.forecast  # the forecast ignores the period


def _period_lines(dep: int, start: date | None, end: date | None) -> dict[str, dict]:
    """Per venue, theme, structure: (redemptions, vouchers, cents) of the live lines paid
    by ``dep`` whose Paris redemption day lies in the period, counted in Python."""
    result: dict[str, dict] = {"venue": {}, "theme": {}, "structure": {}}
    acts: dict[str, set] = {"venue": set(), "theme": set()}
    for rid, venue, theme, structure, cents, at in _rows(
            "SELECT r.id, r.venue_id, w.theme_id, b.structure_id, l.value_cents, r.redeemed_at "
            "FROM redemption_lines l JOIN redemptions r ON r.id = l.redemption_id "
            "JOIN vouchers v ON v.id = l.voucher_id JOIN booklets b ON b.id = v.booklet_id "
            "LEFT JOIN workshops w ON w.id = r.workshop_id "
            f"WHERE l.undone_at IS NULL AND l.departement_id = {int(dep)}"):
        day = _aware(at).astimezone(PARIS).date()
        if (start and day < start) or (end and day > end):
            continue
        for kind, key in (("venue", venue), ("theme", theme), ("structure", structure)):
            old = result[kind].get(key, (0, 0, 0))
            new_act = kind != "structure" and (rid, key) not in acts[kind]
            if new_act:
                acts[kind].add((rid, key))
            result[kind][key] = (old[0] + new_act, old[1] + 1, old[2] + cents)
    return result


@pytest.mark.parametrize("bounds", [
    (-200, -100), (-400, None), (None, -150), "whole months", "one month inside",
])
def test_any_period_counts_each_line_once(seeded, bounds):
    """Whole months come from the monthly tallies, other days from the lines: the sum
    is the same as counting every line of the period."""
    programme_id, dep = seeded["programme_id"], seeded["deps"]["78"]
    day = today()
    if bounds == "whole months":
        start = (day.replace(day=1) - timedelta(days=300)).replace(day=1)
        end = day.replace(day=1) - timedelta(days=1)
    elif bounds == "one month inside":
        start = (day - timedelta(days=120)).replace(day=3)
        end = start + timedelta(days=20)
    else:
        start, end = (None if b is None else day + timedelta(days=b) for b in bounds)
    stats = programme_stats(programme_id, departement_id=dep, start=start, end=end)
    expected = _period_lines(dep, start, end)
    assert expected["venue"], "the period holds redemptions"
    assert {v.id: (v.redemptions, v.vouchers, v.redeemed_cents)
            for v in stats.venues} == expected["venue"]
    assert {t.id: (t.redemptions, t.vouchers, t.redeemed_cents)
            for t in stats.themes} == expected["theme"]
    assert {s.id: (s.vouchers_redeemed, s.redeemed_cents)
            for s in stats.structures if s.vouchers_redeemed} == {
        k: v[1:] for k, v in expected["structure"].items()}


def _aware(value: Any) -> Any:
    """Raw SQL gives naive UTC on SQLite (as text) and aware datetimes on PostgreSQL."""
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_forecast_extends_the_recent_pace(seeded):
    programme_id, dep = seeded["programme_id"], seeded["deps"]["92"]
    stats = programme_stats(programme_id, departement_id=dep)
    fc = stats.forecast
    first, last = fc.window_start, fc.window_end
    assert first.day == 1 and last == today().replace(day=1) - timedelta(days=1)
    assert fc.months_observed == 3
    in_window = sum(
        1 for at, status in _rows(
            "SELECT issued_at, status FROM booklets WHERE departement_id = :d", d=dep)
        if status != "revoked" and first <= _aware(at).astimezone(PARIS).date() <= last)
    assert fc.booklets_in_window == in_window > 0
    assert fc.booklets_current == stats.booklets.issued
    assert fc.cents_current == stats.euros.redeemed_cents
    ends_on = stats.programme.ends_on
    assert fc.months_remaining == pytest.approx((ends_on - today()).days / (365.25 / 12),
                                                abs=1e-3)
    pace = in_window / 3
    assert fc.booklets_projected == pytest.approx(
        fc.booklets_current + pace * fc.months_remaining, abs=1)
    assert fc.cents_projected == pytest.approx(
        fc.cents_current + fc.cents_in_window / 3 * fc.months_remaining, abs=1)
    assert fc.booklets_projected > fc.booklets_current
    method = forecast_method(fc)
    assert "rythme moyen" in method and "mois" in method


def _token(client, email: str) -> dict[str, str]:
    user = db.session.scalar(db.select(User).where(User.email == email))
    credentials = {"email": email, "password": SEED_PASSWORD}
    if user.totp_secret:  # generated administrators and managers: the published key
        credentials["totp"] = fresh_code(user.id)
    response = client.post(f"{API}/tokens", json=credentials)
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_stats_api_scope_and_numbers(app, seeded):
    programme_id, deps = seeded["programme_id"], seeded["deps"]
    client = api_client(app)
    manager = _token(client, f"manager78@{SEED_DOMAIN}")
    own = client.get(f"{API}/stats", headers=manager)
    assert own.status_code == 200
    expected = stats_json(programme_stats(programme_id, departement_id=deps["78"]))
    assert own.json == {"departement": "78", **expected}
    assert client.get(f"{API}/stats?departement=78", headers=manager).json == own.json
    other = client.get(f"{API}/stats?departement=92", headers=manager)
    assert other.status_code == 403 and other.json["error"]["code"] == "forbidden"

    admin = _token(client, f"admin@{SEED_DOMAIN}")
    everything = client.get(f"{API}/stats", headers=admin)
    assert everything.json == {"departement": None,
                               **stats_json(programme_stats(programme_id))}
    assert (everything.json["booklets"]["issued"]
            == own.json["booklets"]["issued"]
            + client.get(f"{API}/stats?departement=92", headers=admin).json["booklets"]["issued"])
    window = client.get(f"{API}/stats?departement=92&programme={programme_id}"
                        "&start=2025-01-01&end=2025-06-30", headers=admin)
    assert window.json["euros"] == asdict(programme_stats(
        programme_id, departement_id=deps["92"], start=date(2025, 1, 1),
        end=date(2025, 6, 30)).euros)

    assert client.get(f"{API}/stats?departement=99", headers=admin).status_code == 404
    assert client.get(f"{API}/stats?programme=999", headers=admin).status_code == 404
    for bad in ("start=2025-13-01", "end=01/02/2025", "start=2025-02-01&end=2025-01-01",
                "programme=abc"):
        response = client.get(f"{API}/stats?{bad}", headers=admin)
        assert response.status_code == 400, bad
    for email in (f"issuer78@{SEED_DOMAIN}", f"venue78@{SEED_DOMAIN}"):
        response = client.get(f"{API}/stats", headers=_token(client, email))
        assert response.status_code == 403
    assert client.get(f"{API}/stats").status_code == 401

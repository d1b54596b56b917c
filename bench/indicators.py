"""The indicators' latency at full scale: their computation in process and
``GET /api/v1/indicators`` served by gunicorn, on PostgreSQL and on SQLite."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from bench.common import (
    Client,
    Result,
    anchor_env,
    flask,
    latency,
    served,
    throwaway_postgres,
    timed_gets,
)
from bench.dashboard import fresh_sample_code
from passnum.sample.accounts import sample_code
from passnum.sample.seed import SEED_DOMAIN, SEED_PASSWORD

API_CALLS = {
    "indicators API, all départements (admin)": ("admin", "/api/v1/indicators"),
    "indicators API, one département (manager)": ("manager78",
                                                  "/api/v1/indicators?departement=78"),
}


@contextmanager
def _environment(database_url: str) -> Iterator[None]:
    """The process environment of an app on ``database_url`` (restored afterwards)."""
    saved = dict(os.environ)
    os.environ.update({"DATABASE_URL": database_url, **anchor_env(database_url)})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def computation(database_url: str, requests: int) -> dict[str, dict[str, float]]:
    """``programme_indicators`` timed in process, for all départements and for one (a
    warm-up first; each run in its own transaction, as a request would)."""
    from passnum import create_app
    from passnum.dashboard.indicators import programme_indicators
    from passnum.extensions import db
    from passnum.programmes.models import Departement, Programme

    with _environment(database_url):
        app = create_app()
    figures = {}
    with app.app_context():
        programme = db.session.scalars(db.select(Programme)).one()
        first = db.session.scalars(db.select(Departement).order_by(Departement.code)).first()
        for name, departement_id in (("all départements", None),
                                     ("one département", first.id if first else None)):
            samples = []
            for _ in range(requests + 1):
                started = time.perf_counter()
                programme_indicators(programme.id, departement_id=departement_id,
                                     start=programme.starts_on, end=programme.ends_on)
                samples.append(time.perf_counter() - started)
                db.session.rollback()
            figures[name] = latency(samples[1:])
        db.session.remove()
        db.engine.dispose()
    return figures


def _measure(database_url: str, kind: str, scale: str, requests: int) -> list[Result]:
    """Computation and API latency on a seeded database."""
    results = [Result("indicators", f"computation, {name}, {kind}, {scale}",
                      figures["p50_ms"], "ms", figures)
               for name, figures in computation(database_url, requests).items()]
    with served(database_url) as base:
        for name, (who, path) in API_CALLS.items():
            client = Client(base)
            email = f"{who}@{SEED_DOMAIN}"
            code = (fresh_sample_code(database_url, email) if kind == "PostgreSQL"
                    else sample_code())
            client.bearer(email, SEED_PASSWORD, code)
            figures = latency(timed_gets(client, path, requests))
            results.append(Result("indicators", f"{name}, {kind}, {scale}",
                                  figures["p50_ms"], "ms", figures))
    return results


def run(scale: str, requests: int) -> list[Result]:
    """Seed PostgreSQL then SQLite at ``scale``; time the indicators on each."""
    results = []
    with throwaway_postgres() as url:
        flask(url, "db", "upgrade")
        flask(url, "seed", "--scale", scale)
        # a database in service has been vacuumed: its freshly loaded pages are marked
        # all-visible before the timing starts, not by autovacuum during it
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
        results += _measure(url, "PostgreSQL", scale, requests)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        flask(url, "db", "upgrade")
        flask(url, "seed", "--scale", scale)
        results += _measure(url, "SQLite", scale, requests)
        Path(anchor_env(url)["PASSNUM_AUDIT_ANCHOR_PATH"]).unlink(missing_ok=True)
    return results

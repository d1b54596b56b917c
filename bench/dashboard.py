"""Seeding time (PostgreSQL and SQLite) and the dashboard's latency at full scale."""

from __future__ import annotations

import tempfile
from pathlib import Path

import psycopg

from bench.common import Client, Result, flask, latency, served, throwaway_postgres, timed_gets
from passnum.sample.accounts import sample_code
from passnum.sample.seed import SEED_DOMAIN, SEED_PASSWORD

PAGES = {
    "dashboard page, all départements (admin)": ("admin", "/tableau-de-bord/"),
    "dashboard page, one département (manager)": ("manager78", "/tableau-de-bord/"),
    "stats API, all départements (admin)": ("admin", "/api/v1/stats"),
    "stats API, one département (manager)": ("manager78", "/api/v1/stats?departement=78"),
}


def fresh_sample_code(database_url: str, email: str) -> str:
    """The generated accounts' second-factor code; each code opens one session only, so
    the step a previous login used is forgotten first."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("UPDATE users SET totp_last_step = NULL WHERE email = %s", (email,))
    return sample_code()


def seed_sqlite(scale: str) -> Result:
    """``seed --scale`` into a new SQLite file."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        flask(url, "db", "upgrade")
        seconds = flask(url, "seed", "--scale", scale)
    return Result("seed", f"seed --scale {scale}, SQLite", round(seconds, 1), "s")


def run(scale: str, requests: int) -> list[Result]:
    """Seed PostgreSQL at ``scale``, then time each dashboard page and API call."""
    results = []
    with throwaway_postgres() as url:
        flask(url, "db", "upgrade")
        seconds = flask(url, "seed", "--scale", scale)
        results.append(Result("seed", f"seed --scale {scale}, PostgreSQL", round(seconds, 1),
                              "s"))
        with served(url) as base:
            for name, (who, path) in PAGES.items():
                client = Client(base)
                email = f"{who}@{SEED_DOMAIN}"
                code = fresh_sample_code(url, email)
                if path.startswith("/api/"):
                    client.bearer(email, SEED_PASSWORD, code)
                else:
                    client.login(email, SEED_PASSWORD, code)
                figures = latency(timed_gets(client, path, requests))
                results.append(Result("dashboard", f"{name}, {scale}", figures["p50_ms"], "ms",
                                      figures))
    results.append(seed_sqlite(scale))
    return results

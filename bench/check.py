"""Voucher check in-process: signature verification and lookup, µs per call.

``passnum.redemptions.services.check`` on a QR token of a handed-out voucher, on SQLite
and on PostgreSQL, inside one app context (no HTTP): what a scan costs the server
before any network or framework.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Result, flask, throwaway_postgres

SECTION = "check"
CALLS = {"full": 2000, "small": 100}
SAMPLE = 50  # distinct vouchers cycled through


def _tokens(app: object) -> list[str]:
    """Tokens of a few handed-out, unredeemed vouchers of the seeded data."""
    from sqlalchemy import select

    from passnum.booklets.models import Booklet, BookletStatus, Voucher, VoucherStatus
    from passnum.core.signing import sign_serial
    from passnum.extensions import db

    serials = db.session.scalars(
        select(Voucher.serial).join(Booklet, Booklet.id == Voucher.booklet_id)
        .where(Booklet.status == BookletStatus.HANDED_OUT,
               Voucher.status == VoucherStatus.ISSUED)
        .order_by(Voucher.id).limit(SAMPLE)).all()
    return [sign_serial(s) for s in serials]


def measure(database_url: str, calls: int) -> list[float]:
    """Seconds per ``check`` call, one sample per block of calls."""
    from passnum import create_app
    from passnum.extensions import db
    from passnum.redemptions.services import check

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    samples = []
    with app.app_context():
        tokens = _tokens(app)
        for token in tokens:  # warm-up: statement caches, connection
            check(token, actor_id=None, channel="bench")
        block = 10
        for start in range(0, calls, block):
            began = time.perf_counter()
            for i in range(start, start + block):
                check(tokens[i % len(tokens)], actor_id=None, channel="bench")
            samples.append((time.perf_counter() - began) / block)
            db.session.rollback()  # a fresh transaction, as each request has
    return samples


def _result(database: str, samples: list[float]) -> Result:
    """The median µs per call of one database."""
    median = round(statistics.median(samples) * 1e6)
    return Result(SECTION, f"check(token), in-process, {database}", median, "µs",
                  {"n": len(samples) * 10})


def run(scale: str, requests: int) -> list[Result]:
    """Seed small on PostgreSQL and SQLite, then time ``check`` on each."""
    calls = CALLS[scale]
    results = []
    with throwaway_postgres() as url:
        flask(url, "db", "upgrade")
        flask(url, "seed", "--scale", "small")
        results.append(_result("PostgreSQL", measure(url, calls)))
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        flask(url, "db", "upgrade")
        flask(url, "seed", "--scale", "small")
        results.append(_result("SQLite", measure(url, calls)))
    return results

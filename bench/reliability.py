"""``make reliability``: a bounded soak of redemptions through the production server on
PostgreSQL, with faults injected while it runs, then a reconciliation.

32 clients (4 processes × 8 threads, keep-alive) post ``/api/v1/redemptions``: distinct
vouchers mixed with vouchers sent again by another client. Each request carries its own
Idempotency-Key; on a 503 or a cut connection the client waits and sends the same
request again, as the phones do. Meanwhile the database's server processes of the app
are killed (``pg_terminate_backend``) every few seconds and, once, a gunicorn worker is
killed mid-load (SIGKILL). Afterwards the clients' tallies, the database and the audit
log must agree exactly: each voucher sent is redeemed once, every other send of it is
refused as already redeemed, as many redemption lines and ``voucher.redeemed`` events as
acceptances, no request left in error; ``audit verify`` and ``stats verify`` pass.

``--quick`` (CI) sends 800 requests instead of 20,000.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

from bench.common import Client, anchor_env, children, throwaway_postgres
from bench.redemption import bearer_token, prepare, production_server, tokens_for

PROCESSES, THREADS = 4, 8
REPEAT_SHARE = 0.2  # sends of a voucher already sent by someone
MAX_ATTEMPTS = 8


@dataclass
class Tally:
    """What the clients saw: final outcome per send, retries, per voucher acceptances."""

    accepted: Counter = field(default_factory=Counter)  # voucher index -> 201s
    refused: Counter = field(default_factory=Counter)  # voucher index -> 409s
    retries: int = 0
    errors: list[str] = field(default_factory=list)


def _send(client: Client, code: str, key: str) -> tuple[int, str]:
    """One redemption request, retried with the same key on 503 or a cut connection."""
    body = json.dumps({"codes": [code]}).encode()
    headers = {"Idempotency-Key": key}
    last = ""
    for attempt in range(MAX_ATTEMPTS):
        try:
            status, data = client.request("POST", "/api/v1/redemptions", body, headers)
        except (OSError, http.client.HTTPException) as err:  # cut connection: send again
            client.connection.close()
            last = f"{type(err).__name__}"
            time.sleep(0.2 * (attempt + 1))
            continue
        if status == 503:
            last = "503"
            time.sleep(0.2 * (attempt + 1))
            continue
        code_name = json.loads(data)["error"]["code"] if status >= 400 else ""
        return status, code_name if attempt == 0 else f"{code_name} retried:{attempt}"
    return 0, f"gave up after {MAX_ATTEMPTS} attempts ({last})"


def _client(base: str, auth: str, items: list[tuple[int, str, str]], out: list) -> None:
    """Send ``items`` (voucher index, code, key) one after the other."""
    client = Client(base)
    client.headers = {"Authorization": auth, "Content-Type": "application/json"}
    for index, code, key in items:
        out.append((index, *_send(client, code, key)))


def _process(base: str, auth: str, groups: list[list[tuple[int, str, str]]],
             queue: Any) -> None:
    """A process of client threads; puts every outcome on ``queue``."""
    out: list = []
    threads = [threading.Thread(target=_client, args=(base, auth, group, out))
               for group in groups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(out)


def plan(codes: list[str], requests: int, rng: random.Random) -> list[tuple[int, str, str]]:
    """The sends: distinct vouchers, plus repeats of some of them, shuffled."""
    distinct = min(len(codes), int(requests * (1 - REPEAT_SHARE)))
    sends = [(i, codes[i]) for i in range(distinct)]
    sends += [(i, codes[i]) for i in (rng.randrange(distinct)
                                      for _ in range(requests - distinct))]
    rng.shuffle(sends)
    return [(i, code, f"soak-{n}") for n, (i, code) in enumerate(sends)]


class Faults(threading.Thread):
    """Kill the app's database connections every ``period`` seconds, and one worker."""

    def __init__(self, url: str, server_pid: int, period: float) -> None:
        """Aim at the database of ``url`` and the gunicorn master ``server_pid``."""
        super().__init__(daemon=True)
        self.url, self.server_pid, self.period = url, server_pid, period
        self.stopped = threading.Event()
        self.backends_killed = self.workers_killed = 0

    def run(self) -> None:
        """Inject until stopped."""
        name = self.url.rsplit("/", 1)[1]
        with psycopg.connect(self.url, autocommit=True) as admin:
            while not self.stopped.wait(self.period):
                self.backends_killed += admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()[0]
                if not self.workers_killed:
                    self.workers_killed += _kill_one_worker(self.server_pid)


def _kill_one_worker(master: int) -> int:
    """SIGKILL one gunicorn worker (a child of ``master``); gunicorn starts another."""
    found = children(master)
    if not found:
        return 0
    os.kill(found[0], signal.SIGKILL)
    return 1


def soak(url: str, base: str, codes: list[str], requests: int, server_pid: int,
         period: float) -> tuple[Tally, Faults, float]:
    """Run the sends over 32 clients with faults; return the tally, faults and seconds."""
    sends = plan(codes, requests, random.Random(7))
    clients = PROCESSES * THREADS
    groups = [sends[i::clients] for i in range(clients)]
    auth = bearer_token(base, url)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    faults = Faults(url, server_pid, period)
    started = time.perf_counter()
    processes = [context.Process(target=_process,
                                 args=(base, auth, groups[p * THREADS:(p + 1) * THREADS],
                                       queue)) for p in range(PROCESSES)]
    for process in processes:
        process.start()
    faults.start()
    outcomes = [o for _ in processes for o in queue.get(timeout=3600)]
    for process in processes:
        process.join()
    faults.stopped.set()
    faults.join()
    tally = Tally()
    for index, status, detail in outcomes:
        tally.retries += "retried" in detail
        if status == 201:
            tally.accepted[index] += 1
        elif status == 409 and detail.startswith("already_redeemed"):
            tally.refused[index] += 1
        else:
            tally.errors.append(f"{status} {detail}")
    return tally, faults, time.perf_counter() - started


def reconcile(url: str, tally: Tally, serials: list[str], since: float) -> list[str]:
    """What does not add up between the clients, the rows and the audit log."""
    sent = set(tally.accepted) | set(tally.refused)
    problems = [f"voucher {i} accepted {n} times" for i, n in tally.accepted.items() if n != 1]
    problems += [f"voucher {i} never accepted" for i in sent if tally.accepted[i] != 1]
    ours = [serials[i] for i in sent]
    with psycopg.connect(url) as connection:
        lines = connection.execute(
            "SELECT count(*) FROM redemption_lines l JOIN vouchers v ON v.id = l.voucher_id "
            "WHERE l.undone_at IS NULL AND v.serial = ANY(%s)", (ours,)).fetchone()[0]
        redeemed = connection.execute(
            "SELECT count(*) FROM vouchers WHERE status = 'redeemed' AND serial = ANY(%s)",
            (ours,)).fetchone()[0]
        events = connection.execute(
            "SELECT count(*) FROM audit_events WHERE action = 'voucher.redeemed' "
            "AND created_at >= to_timestamp(%s)", (since,)).fetchone()[0]
    accepted = sum(tally.accepted.values())
    for what, value in (("live redemption lines", lines), ("redeemed vouchers", redeemed),
                        ("voucher.redeemed audit events", events)):
        if value != accepted:
            problems.append(f"{what}: {value}, clients accepted {accepted}")
    for command in (("audit", "verify"), ("stats", "verify")):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "passnum", *command],
                              env={**os.environ, "DATABASE_URL": url, **anchor_env(url)},
                              capture_output=True,
                              text=True, check=False)
        if done.returncode:
            problems.append(f"{' '.join(command)}: {(done.stdout + done.stderr).strip()[:300]}")
    return problems


def main() -> None:
    """Prepare, soak with faults, reconcile, print the table; exit 1 on any mismatch."""
    parser = argparse.ArgumentParser(prog="make reliability", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="800 requests (CI)")
    args = parser.parse_args()
    requests, period = (800, 1.0) if args.quick else (20_000, 3.0)
    with throwaway_postgres("passnum_soak") as url:
        prepare(url, requests)
        with psycopg.connect(url) as connection:
            rows = connection.execute(
                "SELECT id, serial FROM vouchers WHERE position > 100 AND status = 'issued' "
                "ORDER BY id LIMIT %s", (requests,)).fetchall()
        serials = [serial for _id, serial in rows]
        codes = tokens_for(url, [voucher_id for voucher_id, _ in rows])
        since = time.time() - 1
        with production_server(url) as server:
            tally, faults, seconds = soak(url, server.base, codes, requests, server.pid,
                                          period)
        problems = reconcile(url, tally, serials, since)
    _print(requests, tally, faults, seconds, problems)
    sys.exit(1 if problems or tally.errors else 0)


def _print(requests: int, tally: Tally, faults: Faults, seconds: float,
           problems: list[str]) -> None:
    """The table, then what went wrong (if anything)."""
    rows = [
        ("requests (sends)", requests), ("accepted (201)", sum(tally.accepted.values())),
        ("refused as already redeemed (409)", sum(tally.refused.values())),
        ("sent again after a fault (same key)", tally.retries),
        ("errors", len(tally.errors)), ("mismatches", len(problems)),
        ("database connections killed", faults.backends_killed),
        ("gunicorn workers killed", faults.workers_killed),
        ("seconds", round(seconds, 1)),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measure'.ljust(width)}  value\n{'-' * width}  -----")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    for line in (problems + tally.errors)[:20]:
        print(f"! {line}")


if __name__ == "__main__":
    main()

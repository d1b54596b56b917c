"""Redemption throughput through the real HTTP stack, against the bare SQL it rests on.

On a throw-away PostgreSQL database (``seed --scale small``, then extra vouchers added
to its handed-out booklets so that every request takes a voucher nobody took before),
client processes with keep-alive connections POST ``/api/v1/redemptions`` (one code per
request, each client its own codes, each request its own Idempotency-Key as the scanner
sends) to the app under ``make serve``'s gunicorn configuration, once every worker is
ready, at 1, 16 and 64 concurrent clients for a bounded time. The clients send prepared
bytes on raw sockets (``RawClient``) so that they take little of the CPU they share with
the server; their CPU per request is reported, so a client-bound figure shows as such.
The baseline is the one statement every redemption needs, a conditional
``UPDATE … RETURNING`` over distinct vouchers, at 1, 8 and 16 connections. The HTTP floor
is the same POST at 16 clients to a path with no view (a JSON 404): what the stack
costs before any work. Each row says where its CPU went.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from bench.common import (
    ROOT,
    Client,
    CpuMeter,
    RawClient,
    Result,
    anchor_env,
    backends,
    children,
    flask,
    free_port,
    latency,
    throwaway_postgres,
    wait_for_port,
)
from passnum.sample.seed import SEED_DOMAIN, SEED_PASSWORD

SECTION = "redemption"
HTTP_LEVELS = (1, 16, 64)
SQL_LEVELS = (1, 8, 16)
THREADS_PER_PROCESS = 8
SECONDS = {"full": 8.0, "small": 1.0}
SQL_SECONDS = {"full": 3.0, "small": 0.5}
# Rates each level has codes for, well above this machine's (so that every level runs
# its whole time instead of running out of fresh vouchers).
HTTP_CEILING = 1500  # req/s
SQL_CEILING = 15000  # upd/s
REDEEM = "/api/v1/redemptions"
# The same POST to a path with no view (a JSON 404): what any request costs the stack
# (gunicorn, Flask, the request id and access record), with no database work.
FLOOR = ("/api/v1/nowhere", 404)
FLOOR_CEILING = 5000  # req/s
UNLIMITED = "1000000 per minute"  # the code-check rate limit would refuse a benchmark

ADD_VOUCHERS = """
WITH live AS (
    UPDATE booklets SET expires_on = GREATEST(expires_on, CURRENT_DATE + 60),
                        valid_from = LEAST(valid_from, CURRENT_DATE - 1),
                        vouchers_total = vouchers_total + %(extra)s
    WHERE status = 'handed_out'
    RETURNING id, number
)
INSERT INTO vouchers (booklet_id, position, serial, manual_code, value_cents, status)
SELECT live.id, 100 + n, live.number || '-' || (100 + n),
       'Z' || lpad((live.id * 1000 + n)::text, 11, '0'), 1000, 'issued'
FROM live, generate_series(1, %(extra)s) AS n
"""
TAKE = ("UPDATE vouchers SET status = 'redeemed', redeemed_at = now() "
        "WHERE id = %s AND status = 'issued' RETURNING id")


@dataclass
class Load:
    """What one client process did: latencies, refusals, its CPU seconds."""

    samples: list[float]
    errors: int
    cpu: float


def needed(scale: str) -> tuple[int, int]:
    """Fresh vouchers the HTTP levels and the SQL levels need, all levels together."""
    return (math.ceil(HTTP_CEILING * SECONDS[scale]) * len(HTTP_LEVELS),
            math.ceil(SQL_CEILING * SQL_SECONDS[scale]) * len(SQL_LEVELS))


def prepare(url: str, vouchers: int) -> None:
    """Migrate, seed small, activate every venue, add at least ``vouchers`` fresh
    vouchers to the live booklets."""
    flask(url, "db", "upgrade")
    flask(url, "seed", "--scale", "small")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("UPDATE venues SET label_status = 'active'")
        connection.execute("UPDATE users SET totp_last_step = NULL")
        live = connection.execute(
            "SELECT count(*) FROM booklets WHERE status = 'handed_out'").fetchone()[0]
        connection.execute(ADD_VOUCHERS, {"extra": math.ceil(vouchers / live)})
        connection.execute("VACUUM ANALYZE")


def fresh_ids(url: str, scale: str) -> tuple[list[int], list[int]]:
    """Ids of the vouchers added for the benchmark: (the HTTP levels', the SQL levels')."""
    with psycopg.connect(url) as connection:
        ids = [row[0] for row in connection.execute(
            "SELECT id FROM vouchers WHERE position > 100 AND status = 'issued' ORDER BY id")]
    http, sql = needed(scale)
    return ids[:http], ids[http:http + sql]


def tokens_for(url: str, ids: list[int]) -> list[str]:
    """The signed tokens (as in the QR codes) of these vouchers, with the app's keys."""
    from passnum import create_app
    from passnum.core.signing import sign_serial

    os.environ["DATABASE_URL"] = url
    keys = create_app().config["VOUCHER_KEYS"]
    with psycopg.connect(url) as connection:
        serials = dict(connection.execute(
            "SELECT id, serial FROM vouchers WHERE id = ANY(%s)", (ids,)).fetchall())
    return [sign_serial(serials[i], keys) for i in ids]


@dataclass
class Server:
    """A running production server: its address and its gunicorn master's pid."""

    base: str
    pid: int


@contextmanager
def production_server(url: str) -> Iterator[Server]:
    """The app under ``gunicorn -c gunicorn.conf.py`` (what ``make serve`` runs)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": url, "PASSNUM_BASE_URL": base, "PORT": str(port),
           "PASSNUM_RATELIMIT_CODE_CHECKS": UNLIMITED,
           "PASSNUM_RATELIMIT_CODE_CHECKS_ADDRESS": UNLIMITED, **anchor_env(url)}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                    "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            wait_for_port(port, process, log)
            _wait_for_workers(log, env)
            yield Server(base, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=60)


def _wait_for_workers(log: Any, env: dict[str, str]) -> None:
    """Return once every worker has said it is ready: a worker still importing the app
    would take the CPU that the measure needs."""
    cpus = len(os.sched_getaffinity(0))
    expected = int(env.get("WEB_CONCURRENCY", cpus + 1))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        log.seek(0)
        if log.read().count(b" ready") >= expected:
            return
        time.sleep(0.2)
    raise RuntimeError("gunicorn workers did not all start")


def bearer_token(base: str, url: str) -> str:
    """An API token of the venue agent of the seed's first Yvelines venue."""
    client = Client(base)
    client.bearer(f"venue78@{SEED_DOMAIN}", SEED_PASSWORD)
    return client.headers["Authorization"]


def _client_thread(base: str, auth: str, codes: list[str], start: float, stop: float,
                   out: list[float], errors: list[int], path: str, expected: int) -> None:
    """One keep-alive client: redeem its codes one per request until ``stop``, each with
    its own Idempotency-Key, as the scanner sends them (to ``path``, which answers
    ``expected``)."""
    client = RawClient(base, {"Authorization": auth, "Content-Type": "application/json"})
    prefix = uuid.uuid4().hex[:12]
    time.sleep(max(0.0, start - time.time()))
    for number, code in enumerate(codes):
        if time.time() >= stop:
            break
        body = json.dumps({"codes": [code]}).encode()
        began = time.perf_counter()
        status, _ = client.post(path, body, f"Idempotency-Key: {prefix}-{number}\r\n")
        out.append(time.perf_counter() - began)
        if status != expected:
            errors.append(status)
    client.close()


def _client_process(base: str, auth: str, chunks: list[list[str]], start: float,
                    stop: float, queue: Any, target: tuple[str, int]) -> None:
    """A process of client threads; puts its ``Load`` on ``queue``."""
    cpu = time.process_time()
    samples: list[float] = []
    errors: list[int] = []
    threads = [threading.Thread(target=_client_thread,
                                args=(base, auth, chunk, start, stop, samples, errors,
                                      *target))
               for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(Load(samples, len(errors), time.process_time() - cpu))


def http_level(base: str, auth: str, codes: list[str], clients: int, seconds: float,
               target: tuple[str, int] = (REDEEM, 201)
               ) -> tuple[list[float], int, float, float]:
    """Run ``clients`` clients for ``seconds``; (latencies, errors, wall s, client CPU s).
    ``target``: the path posted to and the status it must answer."""
    per_client = len(codes) // clients
    chunks = [codes[i * per_client:(i + 1) * per_client] for i in range(clients)]
    groups = [chunks[i:i + THREADS_PER_PROCESS]
              for i in range(0, clients, THREADS_PER_PROCESS)]
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start = time.time() + 1.0
    processes = [context.Process(target=_client_process,
                                 args=(base, auth, group, start, start + seconds, queue,
                                       target))
                 for group in groups]
    for process in processes:
        process.start()
    loads = [queue.get(timeout=seconds + 120) for _ in processes]
    wall = time.time() - start
    for process in processes:
        process.join()
    samples = [s for load in loads for s in load.samples]
    return samples, sum(load.errors for load in loads), wall, sum(load.cpu for load in loads)


def sql_level(url: str, ids: list[int], connections: int,
              seconds: float) -> tuple[int, float, float | None, float]:
    """Conditional updates over distinct ids on ``connections`` connections (threads);
    return (vouchers taken, wall seconds, the database's CPU seconds, this process's)."""
    per = len(ids) // connections
    done: list[int] = []
    database = CpuMeter(lambda: backends(url))

    def worker(connection: psycopg.Connection, mine: list[int], stop: float) -> None:
        taken = 0
        for voucher_id in mine:
            if time.perf_counter() >= stop:
                break
            taken += connection.execute(TAKE, (voucher_id,), prepare=True).fetchone() \
                is not None
        done.append(taken)

    with ExitStack() as opened:  # connected before the clock starts, closed after it stops
        links = [opened.enter_context(psycopg.connect(url, autocommit=True))
                 for _ in range(connections)]
        database.start()
        cpu = time.process_time()
        began = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(link, ids[i * per:(i + 1) * per],
                                                         began + seconds))
                   for i, link in enumerate(links)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        cpu = time.process_time() - cpu
        used = database.stop()
    return sum(done), wall, used, cpu


def _http_results(url: str, scale: str, codes: list[str]) -> list[Result]:
    """Serve the app, then each HTTP level on its own slice of codes, with the CPU that
    the server's workers and the database's processes used per request."""
    results = []
    with production_server(url) as server:
        auth = bearer_token(server.base, url)
        workers = CpuMeter(lambda: children(server.pid))
        database = CpuMeter(lambda: backends(url))
        seconds = SECONDS[scale]
        share = len(codes) // len(HTTP_LEVELS)
        for index, clients in enumerate(HTTP_LEVELS):
            results.append(_http_row(
                f"HTTP POST {REDEEM}, {clients} clients", server.base, auth,
                codes[index * share:(index + 1) * share], clients, seconds, (REDEEM, 201),
                {"app": workers, "database": database}))
        floor = 16  # clients: the level the ratio compares
        results.append(_http_row(
            f"HTTP floor: POST {FLOOR[0]} ({FLOOR[1]}), {floor} clients", server.base, auth,
            ["floor"] * math.ceil(FLOOR_CEILING * seconds), floor, seconds, FLOOR,
            {"app": workers}))
    return results


def _http_row(name: str, base: str, auth: str, codes: list[str], clients: int,
              seconds: float, target: tuple[str, int], meters: dict[str, CpuMeter]) -> Result:
    """One HTTP level as a table row: rate, latencies, and the CPU per request of the
    processes ``meters`` measure and of the clients."""
    for meter in meters.values():
        meter.start()
    samples, errors, wall, cpu = http_level(base, auth, codes, clients, seconds, target)
    if errors:
        raise RuntimeError(f"{name}: {errors} answers other than {target[1]}")
    figures = latency(samples)
    rate = round(len(samples) / wall, 1)
    used = {label: meter.stop() for label, meter in meters.items()}
    figures.update(rate=rate, seconds=round(wall, 1),
                   cpu_us=_per(len(samples), **used, client=cpu))
    return Result(SECTION, name, rate, "req/s", figures)


def _per(count: int, **seconds: float | None) -> dict[str, int | None]:
    """CPU seconds as microseconds per request (or update)."""
    return {name: None if used is None else round(used / count * 1e6)
            for name, used in seconds.items()}


def _sql_results(url: str, scale: str, ids: list[int]) -> list[Result]:
    """Each SQL level on its own slice of voucher ids."""
    results = []
    share = len(ids) // len(SQL_LEVELS)
    for index, connections in enumerate(SQL_LEVELS):
        taken, wall, database, client = sql_level(
            url, ids[index * share:(index + 1) * share], connections, SQL_SECONDS[scale])
        rate = round(taken / wall, 1)
        results.append(Result(SECTION, f"bare SQL conditional UPDATE, {connections} conn.",
                              rate, "upd/s", {"n": taken, "seconds": round(wall, 1),
                                              "cpu_us": _per(taken, database=database,
                                                             client=client)}))
    return results


def run(scale: str, requests: int) -> list[Result]:
    """Seed, add fresh vouchers, measure HTTP redemption then the bare SQL baseline."""
    with throwaway_postgres() as url:
        prepare(url, sum(needed(scale)))
        http_ids, sql_ids = fresh_ids(url, scale)
        results = _http_results(url, scale, tokens_for(url, http_ids))
        results += _sql_results(url, scale, sql_ids)
    http16 = next(r.value for r in results if r.name == f"HTTP POST {REDEEM}, 16 clients")
    best_sql = max(r.value for r in results if r.unit == "upd/s")
    results.append(Result(SECTION, "ratio HTTP(16 clients) / SQL(best)",
                          round(100 * http16 / best_sql, 1), "%"))
    return results

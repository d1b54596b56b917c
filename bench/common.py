"""What every benchmark needs: throw-away databases, a served app, an HTTP client that
keeps its connection, and percentiles. Loopback only, bounded in time."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("PASSNUM_BENCH_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Result:
    """One row of the printed table (and of ``bench/results.json``)."""

    section: str
    name: str
    value: float
    unit: str
    extra: dict[str, Any] = field(default_factory=dict)


def percentile(samples: list[float], share: float) -> float:
    """The ``share`` (0..1) percentile by the nearest-rank method."""
    ordered = sorted(samples)
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def latency(samples: list[float]) -> dict[str, float]:
    """Median and 99th percentile, in milliseconds."""
    return {"p50_ms": round(statistics.median(samples) * 1000, 1),
            "p99_ms": round(percentile(samples, 0.99) * 1000, 1), "n": len(samples)}


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds so far of each of these local processes (Linux
    ``/proc``; a process that has ended, or any process elsewhere, is left out)."""
    used = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return used


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a gunicorn master's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    if int(stat.read().rsplit(b")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the database of ``url`` now."""
    with psycopg.connect(url, autocommit=True) as connection:
        return [row[0] for row in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]


class CpuMeter:
    """CPU seconds used between ``start`` and ``stop`` by some processes, found anew at
    each end (processes started in between count from zero); ``None`` when none of them
    can be read here (a database on another machine)."""

    def __init__(self, find: Any) -> None:
        """``find``: a callable returning the pids to measure."""
        self.find = find
        self.before: dict[int, float] = {}

    def start(self) -> None:
        """Take the first reading."""
        self.before = cpu_seconds(self.find())

    def stop(self) -> float | None:
        """CPU seconds since ``start``."""
        after = cpu_seconds(self.find())
        if not after:
            return None
        return sum(used - self.before.get(pid, 0.0) for pid, used in after.items())


def anchor_env(database_url: str) -> dict[str, str]:
    """The environment giving a throw-away database its own audit anchor file: the
    instance's anchor belongs to the instance's database, and would be ahead of a new
    one's log."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / "passnum-bench-anchors" / f"{digest}.log"
    return {"PASSNUM_AUDIT_ANCHOR_PATH": str(path)}


@contextmanager
def throwaway_postgres(prefix: str = "passnum_bench") -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(POSTGRES_URL)
    url = parts._replace(path=f"/{name}").geturl()
    try:
        yield url
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        Path(anchor_env(url)["PASSNUM_AUDIT_ANCHOR_PATH"]).unlink(missing_ok=True)


def flask(database_url: str, *args: str, quiet: bool = True) -> float:
    """Run ``flask --app passnum <args>`` on ``database_url``; return its seconds."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "passnum", *args], cwd=ROOT,
                          env={**os.environ, "DATABASE_URL": database_url,
                               **anchor_env(database_url)},
                          capture_output=quiet, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return time.perf_counter() - started


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(database_url: str, *, workers: int = 2) -> Iterator[str]:
    """The app under gunicorn (the production server) on loopback; yields its base URL.
    The server's log is kept out of the printed table (shown if it fails to start)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "PASSNUM_BASE_URL": url,
           **anchor_env(database_url)}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", "1",
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            wait_for_port(port, process, log)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_for_port(port: int, process: subprocess.Popen, log: Any) -> None:
    """Return once ``port`` accepts connections; raise with the log if the server died."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError("the server stopped at start:\n"
                                   + log.read().decode(errors="replace")) from None
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


class Client:
    """A keep-alive HTTP client with a cookie jar of one session cookie."""

    def __init__(self, base_url: str) -> None:
        """Connect to ``base_url`` (http, loopback)."""
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}
        self.location = ""  # the last response's Location header

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """Send one request; return (status, body)."""
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        self.location = response.headers.get("Location", "")
        return response.status, data

    def login(self, email: str, password: str, code: str | None = None) -> None:
        """Log in through the login form, CSRF token included, then the second factor's
        ``code`` when the account asks for one."""
        status, location = self._post_form("/connexion", {"email": email,
                                                          "password": password})
        if status == 302 and location.endswith("/connexion/code") and code:
            status, location = self._post_form("/connexion/code", {"code": code})
        if status != 302 or "/connexion" in location:
            raise RuntimeError(f"login refused: {status} {location}")

    def _post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        """GET the form for its CSRF token, POST it; return (status, Location)."""
        status, page = self.request("GET", path)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if status != 200 or token is None:
            raise RuntimeError(f"{path}: {status}")
        form = urlencode({"csrf_token": token.group(1).decode(), **fields}).encode()
        status, _ = self.request("POST", path, form,
                                 {"Content-Type": "application/x-www-form-urlencoded"})
        return status, self.location

    def bearer(self, email: str, password: str, code: str | None = None) -> None:
        """Use an API token for the next requests."""
        credentials = {"email": email, "password": password}
        if code:
            credentials["totp"] = code
        body = json.dumps(credentials).encode()
        status, data = self.request("POST", "/api/v1/tokens", body,
                                    {"Content-Type": "application/json"})
        if status != 201:
            raise RuntimeError(f"token refused: {status}")
        self.headers["Authorization"] = f"Bearer {json.loads(data)['token']}"


class RawClient:
    """A lean keep-alive HTTP/1.1 client for load: one socket, requests sent as prepared
    bytes, answers read by ``Content-Length``. Its CPU per request is a fraction of
    ``http.client``'s, so that on a small machine the load generator does not take the
    CPU that the server under test needs. Reconnects when the server closes."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        """Aim at ``base_url`` (http, loopback), sending ``headers`` with every request."""
        parts = urlsplit(base_url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.head = "".join(f"{k}: {v}\r\n" for k, v in
                            {"Host": parts.netloc, **headers}.items())
        self.sock: socket.socket | None = None
        self.buffer = b""

    def post(self, path: str, body: bytes, headers: str = "") -> tuple[int, bytes]:
        """POST ``body`` (``headers``: extra ``Name: value\\r\\n`` lines); (status, body)."""
        request = (f"POST {path} HTTP/1.1\r\n{self.head}{headers}"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(request)
        status, data, close = self._response()
        if close:
            self.close()
        return status, data

    def _response(self) -> tuple[int, bytes, bool]:
        """Read one answer: (status, body, whether the server closes the connection)."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (line.partition(b":") for line in lines[1:])}
        length = int(fields.get(b"content-length", b"0"))
        while len(self.buffer) < length:
            self._fill()
        data, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, data, fields.get(b"connection", b"").lower() == b"close"

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        """Drop the connection; the next request opens a new one."""
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""


def timed_gets(client: Client, path: str, count: int) -> list[float]:
    """GET ``path`` ``count`` times (after one warm-up); seconds per request."""
    status, _ = client.request("GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path}: {status}")
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        status, _ = client.request("GET", path)
        samples.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
    return samples

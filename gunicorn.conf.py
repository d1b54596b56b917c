"""gunicorn settings for ``make serve`` (production): ``gunicorn -c gunicorn.conf.py wsgi:app``.

Environment: ``PORT`` (a port on 127.0.0.1, or ``host:port``; default 127.0.0.1:8000),
``WEB_CONCURRENCY`` (workers), ``GUNICORN_THREADS`` (threads per worker),
``GUNICORN_TIMEOUT`` (seconds), ``LOG_LEVEL``; the app's own settings (``DATABASE_URL``,
``PASSNUM_*``) are read by the app. The reverse proxies trusted with ``X-Forwarded-*``
are the app's ``PASSNUM_TRUSTED_PROXIES``, for gunicorn too (one setting).

Workers: since the redemption path runs in a handful of round trips, a request
computes more than it waits, so there are about as many workers as CPUs: ``CPUs + 1``
sync worker processes (3 on two cores). Measured with
``make bench BENCH_ARGS="--only redemption"`` on two cores, against 5 gthread workers of
2 threads (the previous default): the same or better throughput and half the p99 at 16
clients, as fewer processes contend for the CPUs. Behind the buffering reverse proxy,
sync workers never wait on a slow client; the longest request (a stock batch of at most
200 booklets as one PDF) takes seconds, well under the timeout.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from gunicorn.glogging import Logger

from passnum.config import DEFAULTS
from passnum.core.logging import json_log_config
from passnum.core.proxy import parse_networks


def _bind(port: str) -> str:
    """``PORT`` as a bind address: a bare port listens on loopback (behind the proxy)."""
    return f"127.0.0.1:{port}" if port.isdigit() else port


def _cpus() -> int:
    """CPUs this process may use (cgroups and affinity included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = _bind(os.environ.get("PORT", "8000"))
workers = int(os.environ.get("WEB_CONCURRENCY", _cpus() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
# a worker silent for this long is killed and replaced; on SIGTERM, requests in flight
# get graceful_timeout seconds to finish
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# restart workers now and then (jittered, not all at once) so no slow leak grows forever
max_requests = 10_000
max_requests_jitter = 1_000
# request size limits in front of the app's own MAX_CONTENT_LENGTH
limit_request_line = 4094
limit_request_fields = 100


class AppAccessLogger(Logger):
    """gunicorn's logger, without its access records: the app writes one per request
    (``passnum.access``: request id, status, duration, user id, no query string), and
    gunicorn's, which any logging configuration turns on, would be a second one, carrying
    the query string, and would cost every request its formatting."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Write nothing."""


# gunicorn's messages and the app's go to stderr as JSON lines
logger_class = AppAccessLogger
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
logconfig_dict = json_log_config(loglevel.upper())
# X-Forwarded-* are believed from the app's trusted proxies only (PASSNUM_TRUSTED_PROXIES,
# loopback by default: the local nginx); the app reads the client's address itself
# (passnum.core.proxy), gunicorn the scheme
_TRUSTED = parse_networks(os.environ.get("PASSNUM_TRUSTED_PROXIES", DEFAULTS["TRUSTED_PROXIES"]))
forwarded_allow_ips = ",".join(str(network) for network in _TRUSTED)
proxy_allow_ips = forwarded_allow_ips


def post_worker_init(worker: object) -> None:
    """Once a worker has loaded the app: put the app's own objects (about 150,000:
    modules, mappers, templates) out of the garbage collector's reach, so that a full
    collection no longer walks them (measured: a 100 ms pause every ~1,500 redemptions
    of a worker, gone); then say that the worker takes requests (deploys and benchmarks
    wait for every worker, so that none is still starting under load)."""
    gc.collect()
    gc.freeze()
    worker.log.info("worker %s ready", worker.pid)  # type: ignore[attr-defined]

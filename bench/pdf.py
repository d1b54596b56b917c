"""Booklet PDFs: milliseconds per booklet, and batches printed as one streamed PDF.

Each measure runs in its own Python process (``python -m bench.pdf single|batch``), so
a batch's peak resident memory is that process's own, read by the parent from the
kernel when it reaps the child (``os.wait4``). Booklets are plain objects shaped like
the models (no database): the renderer only reads attributes. The figures compare
with the targets of the issue: 20 ms a booklet, 1,000 booklets in 20 s, under 300 MB
and flat from 1,000 to 5,000 booklets.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench.common import ROOT, Result, latency

TARGET_MS = 20
TARGET_BATCH_S = 20
TARGET_RSS_MB = 300
MIN_RENDERS = 20  # the single-booklet median is taken over at least this many renders
VOUCHERS = 10
PAGES_PER_BOOKLET = 3  # a cover and two pages of five vouchers
BASE_URL = "https://passnumerique.example.fr"  # as long as a real public address


@dataclass(frozen=True)
class Named:
    """A programme or a structure, as the cover reads it."""

    name: str


@dataclass(frozen=True)
class Person:
    """A beneficiary, as the cover reads it."""

    display_name: str


@dataclass(frozen=True)
class PlainVoucher:
    """A voucher, as its strip reads it."""

    position: int
    serial: str
    manual_code: str
    value_cents: int


@dataclass(frozen=True)
class PlainBooklet:
    """A booklet, as the renderer reads it."""

    number: str
    programme: Named
    structure: Named
    beneficiary: Person | None
    valid_from: date
    expires_on: date
    vouchers: list[PlainVoucher]
    replaces_booklet_id: int | None = None  # a first booklet, not a replacement
    replaces: PlainBooklet | None = None


@dataclass(frozen=True)
class PlainVenue:
    """A venue listed on the cover."""

    name: str
    address: str
    postal_code: str
    commune: str


def make_booklet() -> PlainBooklet:
    """A 10-voucher booklet numbered and coded as the issuing service does."""
    from passnum.core import codes

    data = codes.random_symbols(7)
    number = f"78-{codes.group(data + codes.check_symbol(data))}"
    start = date(2024, 3, 1)
    vouchers = [PlainVoucher(position, f"{number}-{position:02d}", codes.new_manual_code(),
                             1000) for position in range(1, VOUCHERS + 1)]
    return PlainBooklet(number, Named("Pass numérique 78-92"),
                        Named("DGAS des Yvelines — territoire Boucle de Seine"),
                        Person("DUPRÉ-LEFÈVRE Éléonore"), start, start + timedelta(days=365),
                        vouchers)


def cover_venues() -> list[PlainVenue]:
    """Six venues, as many as a cover lists."""
    return [PlainVenue(f"Médiathèque François-Mitterrand {n}", f"{n} rue de la République",
                       "78000", "Versailles") for n in range(1, 7)]


def _app():
    """An app with throw-away keys; the renderer needs only its configuration."""
    from passnum import create_app

    return create_app({"SECRET_KEY": secrets.token_urlsafe(32), "BASE_URL": BASE_URL,
                       "VOUCHER_KEYS": [secrets.token_urlsafe(32)],
                       "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def single(renders: int) -> dict[str, list[float]]:
    """Worker: render ``renders`` different one-booklet PDFs (after a warm-up); seconds each."""
    from passnum.booklets.pdf import render_booklets

    venues, samples = cover_venues(), []
    with _app().app_context():
        render_booklets([make_booklet()], io.BytesIO(), nearby_venues=venues)
        for _ in range(renders):
            booklet, out = make_booklet(), io.BytesIO()
            started = time.perf_counter()
            render_booklets([booklet], out, nearby_venues=venues)
            samples.append(time.perf_counter() - started)
    return {"samples": samples}


def batch(count: int, path: str) -> dict[str, float]:
    """Worker: print ``count`` booklets, made one at a time, as one PDF file at ``path``."""
    from passnum.booklets.pdf import render_booklets

    booklets: Iterator[PlainBooklet] = (make_booklet() for _ in range(count))
    with _app().app_context(), open(path, "wb") as out:
        started = time.perf_counter()
        render_booklets(booklets, out, nearby_venues=cover_venues())
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": Path(path).stat().st_size}


def _child(*args: str) -> tuple[dict, float]:
    """Run this module as a worker; return its JSON answer and its peak RSS in MB."""
    process = subprocess.Popen([sys.executable, "-m", "bench.pdf", *args], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    process.stdout.close()
    # reaped here rather than by Popen.wait, for this child's own resource usage
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"bench.pdf {' '.join(args)} failed ({process.returncode})")
    return json.loads(output.splitlines()[-1]), usage.ru_maxrss / 1024  # Linux counts kilobytes


def _page_count(path: Path) -> int:
    """Pages of the PDF at ``path``, as a reader sees them (the file must parse)."""
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def _batch_results(count: int, scratch: Path) -> list[Result]:
    """Print ``count`` booklets in a worker; its time and peak memory."""
    path = scratch / f"batch-{count}.pdf"
    answer, peak_mb = _child("batch", str(count), str(path))
    pages = _page_count(path)
    if pages != count * PAGES_PER_BOOKLET:
        raise RuntimeError(f"batch of {count}: {pages} pages")
    path.unlink()
    extra = {"n": count, "pages": pages, "file_mb": round(answer["bytes"] / 2**20, 1),
             "ms_per_booklet": round(answer["seconds"] * 1000 / count, 2)}
    name = f"batch of {count:,} booklets, one PDF"
    return [
        Result("pdf", f"{name}, time (target ≤ {TARGET_BATCH_S} s at 1,000)",
               round(answer["seconds"], 2), "s", extra),
        Result("pdf", f"{name}, peak RSS (target < {TARGET_RSS_MB} MB, flat)",
               round(peak_mb, 1), "MB", {"n": count}),
    ]


def run(scale: str, requests: int) -> list[Result]:
    """Time single booklets, then print two batches of different sizes."""
    renders = requests if scale == "small" else max(requests, MIN_RENDERS)
    sizes = (50, 100) if scale == "small" else (1000, 5000)
    answer, _ = _child("single", str(renders))
    figures = latency(answer["samples"])
    results = [Result("pdf", f"booklet PDF, 10 vouchers (target ≤ {TARGET_MS} ms)",
                      round(statistics.median(answer["samples"]) * 1000, 2), "ms", figures)]
    with tempfile.TemporaryDirectory() as scratch:
        for count in sizes:
            results.extend(_batch_results(count, Path(scratch)))
    return results


def main() -> None:
    """Worker entry point: print one measure as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.pdf")
    parser.add_argument("mode", choices=("single", "batch"))
    parser.add_argument("count", type=int)
    parser.add_argument("path", nargs="?", default="")
    args = parser.parse_args()
    answer = single(args.count) if args.mode == "single" else batch(args.count, args.path)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()

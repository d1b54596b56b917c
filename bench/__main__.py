"""``make bench``: passnum's benchmarks, one table and ``bench/results.json``.

Everything runs on loopback against throw-away databases and is bounded in time.
``--quick`` uses small sizes, so that CI runs the suite and it never rots; its figures
mean nothing. Benchmarks measure; tests never assert on time.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import asdict
from datetime import UTC, datetime

from bench import check, dashboard, indicators, pdf, redemption
from bench.common import ROOT, Result

SECTIONS = {"dashboard": dashboard, "indicators": indicators, "redemption": redemption,
            "check": check, "pdf": pdf}


def table(results: list[Result]) -> str:
    """The results as an aligned text table."""
    rows = [("section", "measure", "median/value", "p99", "n", "CPU µs per operation")]
    for r in results:
        rows.append((r.section, r.name, f"{r.value:g} {r.unit}",
                     f"{r.extra['p99_ms']:g} ms" if "p99_ms" in r.extra else "",
                     str(r.extra.get("n", "")), _cpu(r.extra.get("cpu_us"))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cpu(per: dict[str, int | None] | None) -> str:
    """``app 2100 + database 900 + client 150 = 3150``: where each operation's CPU went."""
    if not per or None in per.values():
        return ""
    parts = " + ".join(f"{name} {used}" for name, used in per.items())
    return f"{parts} = {sum(per.values())}"


def main() -> None:
    """Run the chosen sections, print the table, write the JSON."""
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append",
                        help="run only this section (repeatable)")
    args = parser.parse_args()
    scale, requests = ("small", 5) if args.quick else ("full", 50)
    started = time.perf_counter()
    results: list[Result] = []
    for name in args.only or list(SECTIONS):
        results.extend(SECTIONS[name].run(scale, requests))
    print(table(results))
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick,
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "seconds": round(time.perf_counter() - started, 1),
        "results": [asdict(r) for r in results]}, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{out.relative_to(ROOT)} written ({time.perf_counter() - started:.0f} s)")


def _cpus() -> int:
    """Number of CPUs this process may use."""
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()

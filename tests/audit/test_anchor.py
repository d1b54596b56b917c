"""The anchor file: owner-only, monotonic under concurrent writers, batched on the hot
path, and written after commit."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

from passnum.audit import anchor
from passnum.audit.anchor import Head
from passnum.audit.services import record
from passnum.core.db import unit_of_work


def _write_many(path: str, seqs: list[int]) -> None:
    for seq in seqs:
        anchor.write(path, Head(seq, f"{seq:064x}"))


def test_concurrent_writers_keep_the_file_monotonic(tmp_path):
    """Worker processes committing in any order: each line is newer than the one
    before, and the last is the newest head."""
    path = str(tmp_path / "anchor.log")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(path, list(range(start, 400, 4))))
               for start in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    seqs = [int(line.split()[0]) for line in Path(path).read_text().splitlines()]
    assert seqs == sorted(set(seqs)) and seqs[-1] == 399
    assert stat.S_IMODE((tmp_path / "anchor.log").stat().st_mode) == 0o600
    assert anchor.last(path) == Head(399, f"{399:064x}")


def test_a_restore_line_may_go_back(tmp_path):
    path = str(tmp_path / "anchor.log")
    assert anchor.write(path, Head(9, "a" * 64))
    assert not anchor.write(path, Head(5, "b" * 64))
    assert anchor.write(path, Head(5, "b" * 64), restored=True)
    assert anchor.last(path) == Head(5, "b" * 64)
    assert Path(path).read_text().splitlines()[-1].endswith(" restored")


def test_commits_are_anchored_at_most_once_per_interval(app):
    """The first commit writes the anchor; the next ones within the interval wait for a
    later commit (or the process's exit)."""
    app.config["AUDIT_ANCHOR_SECONDS"] = 3600
    path = app.config["AUDIT_ANCHOR_PATH"]
    with unit_of_work():
        first = record("test.event", actor_id=None)
    assert anchor.last(path) == Head(first.seq, first.hash)
    with unit_of_work():
        second = record("test.event", actor_id=None)
    assert anchor.last(path) == Head(first.seq, first.hash)
    anchor.flush()
    assert anchor.last(path) == Head(second.seq, second.hash)


def test_nothing_is_anchored_before_commit(app):
    path = app.config["AUDIT_ANCHOR_PATH"]
    try:
        with unit_of_work():
            record("test.event", actor_id=None)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert anchor.last(path) is None

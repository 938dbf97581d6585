"""cache/safedb.py against real SQLite files: damaged files are moved aside, never a crash or a loop."""
from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from cache.safedb import configure, move_aside, open_database
from tests.conftest import ROOT


def schema(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    conn.execute("CREATE INDEX IF NOT EXISTS events_payload ON events(payload)")
    conn.commit()


def filled(path: Path, rows: int = 5000) -> None:
    db = open_database(path, setup=schema)
    db.conn.executemany("INSERT INTO events (payload) VALUES (?)", [(f"event {i} " + "x" * 100,) for i in range(rows)])
    db.conn.commit()
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def test_fresh_database_is_wal_and_checked(tmp_path):
    db = open_database(tmp_path / "sub" / "t.db", setup=schema)
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.recovered_from is None and not db.in_memory
    db.conn.execute("INSERT INTO events (payload) VALUES ('a')")
    db.conn.commit()
    db.conn.close()
    again = open_database(tmp_path / "sub" / "t.db", setup=schema, check="integrity")
    assert again.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1


def test_garbage_file_is_moved_aside_and_rebuilt(tmp_path, caplog):
    path = tmp_path / "t.db"
    path.write_bytes(os.urandom(8192))
    with caplog.at_level(logging.WARNING):
        db = open_database(path, setup=schema, what="telemetry database")
    assert db.recovered_from is not None and db.recovered_from.exists() and not db.in_memory
    assert db.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert "telemetry database" in caplog.text and str(db.recovered_from) in caplog.text


def test_truncated_database_is_detected(tmp_path):
    path = tmp_path / "t.db"
    filled(path)
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(size // 2)
    db = open_database(path, setup=schema)
    assert db.recovered_from is not None
    assert db.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_corrupted_page_is_detected_by_the_check(tmp_path, caplog):
    path = tmp_path / "t.db"
    filled(path)
    with open(path, "r+b") as fh:  # scribble over a few pages in the middle (the header stays valid)
        fh.seek(path.stat().st_size // 2)
        fh.write(os.urandom(4096 * 3))
    with caplog.at_level(logging.WARNING):
        db = open_database(path, setup=schema)
    assert db.recovered_from is not None
    assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    damage = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert damage and all("\n" not in m for m in damage)  # one log line, however much the check reported


def test_damage_report_is_one_line():
    from cache.safedb import damage_summary

    report = ["*** in database main ***\nPage 3: btreeInitPage() returns error code 11\nPage 4: never used"] * 40
    line = damage_summary(report)
    assert "\n" not in line and line.startswith("*** in database main *** Page 3") and "40 problems" in line
    assert len(line) < 260


def test_directory_in_place_of_the_file(tmp_path):
    path = tmp_path / "t.db"
    path.mkdir()
    (path / "inside").write_text("x")
    db = open_database(path, setup=schema)
    assert db.recovered_from is not None and db.recovered_from.is_dir() and not db.in_memory


def test_unusable_location_falls_back_to_memory(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.ERROR):
        db = open_database(blocker / "t.db", setup=schema)
    assert db.in_memory and "in memory" in caplog.text
    db.conn.execute("INSERT INTO events (payload) VALUES ('still works')")


def test_locked_database_is_not_mistaken_for_damage(tmp_path):
    path = tmp_path / "t.db"
    filled(path, 10)
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        db = open_database(path, setup=schema, timeout=0.2)
        assert db.in_memory and db.recovered_from is None
    finally:
        holder.rollback()
        holder.close()
    assert open_database(path, setup=schema).conn.execute("SELECT count(*) FROM events").fetchone()[0] == 10


def test_damage_raised_by_setup_is_handled(tmp_path):
    calls = []

    def flaky_setup(conn):
        calls.append(1)
        if len(calls) == 1:
            raise sqlite3.DatabaseError("database disk image is malformed")
        schema(conn)

    db = open_database(tmp_path / "t.db", setup=flaky_setup)
    assert db.recovered_from is not None and len(calls) == 2


def test_old_copies_are_bounded_and_repeated_damage_never_loops(tmp_path):
    path = tmp_path / "t.db"
    for _ in range(6):
        path.write_bytes(b"garbage" * 1000)
        db = open_database(path, setup=schema, keep_corrupt=2)
        assert db.recovered_from is not None
        db.conn.close()
    assert len(list(tmp_path.glob("t.db.corrupt-*"))) == 2
    moved = move_aside(path)  # a healthy file can be moved aside too (e.g. by a `reset` command)
    assert moved.exists() and not path.exists()


WRITER = r"""
import sqlite3, sys
sys.path.insert(0, sys.argv[2])
from cache.safedb import open_database
db = open_database(sys.argv[1], setup=lambda c: (c.execute(
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)"), c.commit()))
assert not db.in_memory
n = db.conn.execute("SELECT count(*) FROM events").fetchone()[0]
while True:
    with db.conn:
        db.conn.executemany("INSERT INTO events (payload) VALUES (?)", [("x" * 200,)] * 50)
    n += 50
    print(n, flush=True)  # acknowledged: committed before this line is written
"""


def kill_minus_9_runs(path: Path, runs: int, seed: int = 0) -> dict[str, int]:
    """Kill a committing writer with SIGKILL at random points; count lost events and failed checks."""
    rng = random.Random(seed)
    lost = failures = 0
    for _ in range(runs):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(ROOT)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        acknowledged = 0
        deadline = time.monotonic() + rng.uniform(0.05, 0.6)
        first = proc.stdout.readline()  # wait until it is really writing
        acknowledged = int(first) if first.strip() else 0
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.strip():
                acknowledged = int(line)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for line in proc.stdout.read().split():
            acknowledged = int(line)  # acknowledged lines still in the pipe
        proc.stdout.close()
        check = sqlite3.connect(path)
        failures += check.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
        stored = check.execute("SELECT count(*) FROM events").fetchone()[0]
        check.close()
        lost += max(0, acknowledged - stored)
    return {"runs": runs, "lost": lost, "integrity_failures": failures}


def test_kill_minus_9_never_loses_a_committed_event(tmp_path):
    result = kill_minus_9_runs(tmp_path / "t.db", runs=12)
    assert result == {"runs": 12, "lost": 0, "integrity_failures": 0}
    assert not list(tmp_path.glob("t.db.corrupt-*"))  # nothing was ever judged damaged


def test_configure_for_extra_connections(tmp_path):
    db = open_database(tmp_path / "t.db", setup=schema)
    other = sqlite3.connect(tmp_path / "t.db")
    configure(other)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert other.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.conn.close()
    other.close()

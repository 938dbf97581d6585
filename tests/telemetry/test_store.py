"""The telemetry store against real SQLite files and real processes."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cache.telemetry import TelemetryStore, TelemetryWriter, resolve_db_path, telemetry_enabled
from cache.telemetry.migrations import MIGRATIONS, applied
from lsp.feedback import Feedback
from lsp.settings import parse_settings
from tests.conftest import ROOT, server_env

HELPER = [sys.executable, "-m", "tests.telemetry.writer_proc"]


def ev(cid: str, kind: str = "shown", ts: float | None = None, **kw) -> dict:
    return {"completion_id": cid, "kind": kind, "ts": time.time() if ts is None else ts, **kw}


def rows(path: Path, sql: str = "select completion_id, kind from events order by id") -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_contract_columns_wal_and_json(tmp_path):
    path = tmp_path / "t.db"
    with TelemetryStore(path) as store:
        store.write([ev("c1", "requested", features={"a": 1}, context_kinds=["analogy"], cache_hit=True,
                        not_a_column="dropped")])
        (row,) = list(store.events())
    assert row["features"] == {"a": 1} and row["context_kinds"] == ["analogy"] and row["cache_hit"] == 1
    with sqlite3.connect(path) as conn:
        cols = {r[1]: r[2] for r in conn.execute("pragma table_info(events)")}
        assert cols["completion_id"] == "TEXT" and cols["kind"] == "TEXT" and cols["ts"] == "REAL"
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
        names = [r[0] for r in conn.execute("select name from _tabstop_migrations order by rowid")]
    assert names == [m.__name__ for m in MIGRATIONS]


def test_code_columns_are_redacted_on_the_way_to_disk(tmp_path):
    path = tmp_path / "t.db"
    with TelemetryStore(path) as store:
        store.write([ev("c1", "accepted", prefix='password = "hunter22"\nx = ', completion="AKIAIOSFODNN7EXAMPLE",
                        suffix="")])
    raw = path.read_bytes() + (Path(str(path) + "-wal").read_bytes() if Path(str(path) + "-wal").exists() else b"")
    assert b"hunter22" not in raw and b"AKIAIOSFODNN7EXAMPLE" not in raw
    assert rows(path, "select prefix, completion from events")[0] == (
        'password = "«secret:assignment»"\nx = ', "«secret:aws_access_key»")


V1_SCHEMA = """
create table events (id integer primary key, completion_id text, kind text, ts float, session text, language text,
    trigger text, model text, backend text, latency_ms float, prompt_tokens integer, context_tokens integer,
    cache_hit integer, completion_chars integer, accepted_chars integer, reason text);
create table _tabstop_migrations (name text primary key, applied_at real);
insert into _tabstop_migrations values ('m001_events', 1700000000.0);
insert into events (completion_id, kind, ts, language, model, accepted_chars)
    values ('old-1', 'accepted', 1700000001.0, 'go', 'old-model', 12);
"""


def test_migration_from_the_first_schema_keeps_old_rows(tmp_path):
    """A database written by the first release (its schema spelled out here, frozen) is upgraded in place."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_SCHEMA)
    with TelemetryStore(path, retention_days=0) as store:
        assert applied(store.db) == [m.__name__ for m in MIGRATIONS]
        store.write([ev("new-1", "partial", accepted_chars=3, survival=0.5, features={"x": 1}, prefix="a")])
        events = {e["completion_id"]: e for e in store.events()}
    assert events["old-1"]["model"] == "old-model" and events["old-1"]["accepted_chars"] == 12
    assert events["old-1"]["features"] is None and events["old-1"]["survival"] is None
    assert events["new-1"]["survival"] == 0.5 and events["new-1"]["features"] == {"x": 1}
    indexes = {r[1] for r in rows(path, "pragma index_list(events)")}
    assert {"idx_events_completion", "idx_events_ts"} <= indexes


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    """Two server-like processes (several editor windows) append to one fresh file at the same time."""
    path = tmp_path / "shared.db"
    n = 1500
    procs = [subprocess.Popen([*HELPER, "writer", str(path), str(n), tag], cwd=ROOT, env=server_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in ("a", "b")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    counts = dict(rows(path, "select session, count(distinct completion_id) from events group by session"))
    assert counts == {"a": n, "b": n}
    assert rows(path, "select count(*) from events")[0][0] == 2 * n
    assert rows(path, "pragma integrity_check")[0][0] == "ok"


def test_killed_writer_leaves_a_sound_database_with_every_committed_event(tmp_path):
    path = tmp_path / "killed.db"
    proc = subprocess.Popen([*HELPER, "batches", str(path)], cwd=ROOT, env=server_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    committed = 0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            committed = int(line)
            if committed >= 4000:
                break
        os.kill(proc.pid, signal.SIGKILL)  # most of its time is spent inside a transaction
    finally:
        proc.wait(timeout=30)
    assert committed >= 4000, proc.stderr.read() if proc.stderr else ""
    assert rows(path, "pragma integrity_check")[0][0] == "ok"
    ids = {r[0] for r in rows(path, "select completion_id from events")}
    assert {f"k-{i}" for i in range(committed)} <= ids
    assert len(ids) % 200 == 0  # whole batches only: a half-written transaction left nothing behind
    with TelemetryStore(path) as store:  # and it is still writable
        store.write([ev("after-crash")])
        assert store.integrity() == "ok"


def test_corrupt_database_is_moved_aside_and_rebuilt(tmp_path):
    path = tmp_path / "t.db"
    path.write_bytes(b"this is not an sqlite database" * 100)
    writer = TelemetryWriter(lambda: TelemetryStore(path))
    assert writer.put(ev("c1"))
    assert writer.flush()
    writer.close()
    assert rows(path) == [("c1", "shown")]
    aside = list(tmp_path.glob("t.db.corrupt-*"))
    assert aside and aside[0].read_bytes().startswith(b"this is not")


def test_locked_database_delays_but_never_blocks_or_loses(tmp_path):
    """While another process holds the write lock, `put` (the event loop's side) never waits, and the
    writer thread retries until the lock is gone."""
    path = tmp_path / "t.db"
    TelemetryStore(path).open().close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    writer = TelemetryWriter(lambda: TelemetryStore(path, busy_timeout_s=0.1), retries=30)
    for i in range(100):
        assert writer.put(ev(f"c{i}"))  # would deadlock this thread if put touched the database
    time.sleep(0.5)
    assert writer.written == 0
    blocker.execute("ROLLBACK")
    blocker.close()
    assert writer.flush(timeout=60)
    writer.close()
    assert rows(path, "select count(*) from events")[0][0] == 100


def test_retention_and_size_cap(tmp_path):
    path = tmp_path / "t.db"
    now = time.time()
    with TelemetryStore(path, retention_days=7, max_mb=0.25) as store:
        store.write([ev(f"old-{i}", ts=now - 30 * 86400) for i in range(50)])
        store.write([ev(f"new-{i}", ts=now - 1000 + i * 0.1, features={"pad": "x" * 200}) for i in range(5000)])
        before = store.used_bytes()
        deleted = store.prune(now)
        remaining = {e["completion_id"] for e in store.events()}
        assert store.used_bytes() <= 0.25 * 1024 * 1024 < before
    assert deleted >= 50 and not any(c.startswith("old-") for c in remaining)
    assert "new-4999" in remaining and "new-0" not in remaining  # the oldest went first
    assert os.path.getsize(path) < before + 1024 * 1024


def test_paths_and_switches(monkeypatch, tmp_path):
    monkeypatch.delenv("TABSTOP_TELEMETRY_DB", raising=False)
    monkeypatch.setenv("TABSTOP_DATA_DIR", str(tmp_path / "data"))
    assert resolve_db_path("") == tmp_path / "data" / "telemetry.db"
    assert resolve_db_path(str(tmp_path / "s.db")) == tmp_path / "s.db"
    monkeypatch.setenv("TABSTOP_TELEMETRY_DB", str(tmp_path / "env.db"))
    assert resolve_db_path(str(tmp_path / "s.db")) == tmp_path / "env.db"
    assert telemetry_enabled(True)
    monkeypatch.setenv("TABSTOP_TELEMETRY", "off")
    assert not telemetry_enabled(True)
    monkeypatch.setenv("TABSTOP_TELEMETRY", "on")
    assert not telemetry_enabled(False)


@pytest.mark.parametrize("how", ["setting", "env"])
def test_telemetry_off_creates_no_file_and_no_thread(monkeypatch, tmp_path, how):
    db = tmp_path / "never.db"
    monkeypatch.setenv("TABSTOP_TELEMETRY_DB", str(db))
    raw = {"telemetry": {"enabled": False}} if how == "setting" else {}
    if how == "env":
        monkeypatch.setenv("TABSTOP_TELEMETRY", "off")
    settings, warnings = parse_settings(raw)
    assert not warnings
    threads = threading.active_count()
    fb = Feedback(settings)
    assert fb.writer is None and fb.tracker.sink is None and threading.active_count() == threads
    from tests.unit.test_tracker import request, respond

    respond(fb.tracker, request(), "w * h", "c1")
    fb.tracker.accepted("c1")
    assert not db.exists() and not list(tmp_path.iterdir())


def test_turning_telemetry_on_later_starts_writing(monkeypatch, tmp_path):
    db = tmp_path / "later.db"
    monkeypatch.setenv("TABSTOP_TELEMETRY_DB", str(db))
    monkeypatch.delenv("TABSTOP_TELEMETRY", raising=False)
    off, _ = parse_settings({"telemetry": {"enabled": False}})
    fb = Feedback(off)
    on, _ = parse_settings({"telemetry": {"enabled": True}})
    fb.configure(on)
    assert fb.writer is not None
    from tests.unit.test_tracker import request, respond

    respond(fb.tracker, request(), "w * h", "c1")
    assert fb.writer.flush()
    fb.writer.close()
    assert rows(db) == [("c1", "requested")]

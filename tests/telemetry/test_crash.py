"""The telemetry store's crash safety: the real TelemetryWriter killed with SIGKILL, a really damaged file.

`benchmarks/kill9_stores.py` runs the kills many more times.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import time

from cache.telemetry import TelemetryStore, TelemetryWriter
from tests.killnine import telemetry_kill_runs


def test_killed_writer_never_loses_an_acknowledged_event(tmp_path):
    figures = telemetry_kill_runs(tmp_path, runs=6, seed=5)
    assert figures.runs == 6 and figures.events_acknowledged > 0
    assert figures.events_lost == 0
    assert figures.integrity_failures == 0 and figures.judged_damaged == 0


def test_scribbled_telemetry_file_is_moved_aside_and_the_writer_carries_on(tmp_path, caplog):
    path = tmp_path / "telemetry.db"
    with TelemetryStore(path, retention_days=0) as store:
        store.write([{"completion_id": f"c{i}", "kind": "shown", "ts": 1.0, "reason": "x" * 300} for i in range(3000)])
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(path, "r+b") as fh:  # damage pages in the middle; the header stays valid
        fh.seek(path.stat().st_size // 2)
        fh.write(os.urandom(4096 * 4))
    with caplog.at_level(logging.WARNING):
        writer = TelemetryWriter(lambda: TelemetryStore(path))
        assert writer.put({"completion_id": "after", "kind": "shown", "ts": time.time()})
        assert writer.flush()
        writer.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT completion_id FROM events").fetchall() == [("after",)]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    (aside,) = [p for p in tmp_path.glob("telemetry.db.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]
    assert "telemetry database" in caplog.text and str(aside) in caplog.text

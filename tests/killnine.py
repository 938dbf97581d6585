"""kill -9 the real writers (the repository indexer, the telemetry writer) at random points, many times.

Shared by the tests (a few kills) and `benchmarks/kill9_stores.py` (many). Each run starts a
subprocess that writes through the real code, kills it with SIGKILL after a random delay, and
checks what it left: `PRAGMA integrity_check`, every acknowledged event present (telemetry),
and that a restart reuses the index (no file already indexed is parsed again).
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT, server_env
from tests.index_worker import change_files, generate_tree, open_index


@dataclass
class KillFigures:
    runs: int = 0
    integrity_failures: int = 0
    judged_damaged: int = 0  # files moved aside on the next open (should never happen)
    events_acknowledged: int = 0  # telemetry
    events_lost: int = 0  # telemetry: acknowledged but not in the file
    files_up_to_date: int = 0  # index: rows matching the disk after the kills, summed over runs
    reparsed_up_to_date: int = 0  # index: of those, parsed again by the restart (should be 0)
    killed_in_first_scan: int = 0  # index: runs killed before the child's first scan finished


def _kill_after(cmd: list[str], delay: float) -> list[str]:
    """Start `cmd`, SIGKILL it after `delay` seconds, return the lines it printed."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=server_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    return out.split("\n")


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _rows(db: Path) -> dict[str, tuple[int, int, int]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT path, id, size, mtime_ns FROM files WHERE source = 'disk'").fetchall()
    finally:
        conn.close()
    return {r[0]: r[1:] for r in rows}


def _up_to_date(db: Path, root: Path) -> dict[str, int]:
    """Indexed paths whose size and mtime still match the disk (what a restart must not parse again) → row id."""
    fresh = {}
    for rel, (row_id, size, mtime_ns) in _rows(db).items():
        try:
            st = (root / rel).stat()
        except OSError:
            continue
        if st.st_size == size and st.st_mtime_ns == mtime_ns:
            fresh[rel] = row_id
    return fresh


def index_kill_runs(tmp: Path, runs: int, files: int = 1500, seed: int = 0,
                    delay: tuple[float, float] = (0.3, 2.0)) -> KillFigures:
    """The real indexer in a subprocess, scanning and rescanning a tree whose files keep changing."""
    rng = random.Random(seed)
    root, db = tmp / "repo", tmp / "index.sqlite"
    generate_tree(root, files)
    figures = KillFigures()
    for run in range(runs):
        if run:
            change_files(root, files, rng, rng.randrange(20, 300))  # work for the next child's first scan
        lines = _kill_after([sys.executable, "-m", "tests.index_worker", "churn", str(db), str(root),
                             str(seed + run)], rng.uniform(*delay))
        figures.runs += 1
        figures.killed_in_first_scan += not any(line.startswith("scan") for line in lines)
        if not db.exists():
            continue  # killed before it created the file
        if _integrity(db) != "ok":
            figures.integrity_failures += 1
        fresh = _up_to_date(db, root)
        index = open_index(root, db)  # the restart
        try:
            index.start()
            index.wait_idle()
            if index.store.opened.recovered_from is not None:
                figures.judged_damaged += 1
        finally:
            index.close()
        after = _rows(db)  # a file parsed again gets a new row id; one reused keeps its row
        reparsed = sum(1 for rel, row_id in fresh.items() if after.get(rel, (None,))[0] != row_id)
        figures.files_up_to_date += len(fresh)
        figures.reparsed_up_to_date += reparsed
    return figures


def telemetry_kill_runs(tmp: Path, runs: int, seed: int = 0,
                        delay: tuple[float, float] = (0.4, 1.5)) -> KillFigures:
    """The real TelemetryWriter in a subprocess, writing and acknowledging events until killed."""
    rng = random.Random(seed)
    db = tmp / "telemetry.db"
    figures = KillFigures()
    for run in range(runs):
        tag = f"run{run}"
        lines = _kill_after([sys.executable, "-m", "tests.telemetry.writer_proc", "acked", str(db), tag],
                            rng.uniform(*delay))
        acked = max((int(line) for line in lines if line.strip().isdigit()), default=0)
        figures.runs += 1
        figures.events_acknowledged += acked
        if not db.exists():
            continue
        if _integrity(db) != "ok":
            figures.integrity_failures += 1
        conn = sqlite3.connect(db)
        try:
            stored = conn.execute("SELECT count(DISTINCT prompt_tokens) FROM events WHERE session = ? "
                                  "AND prompt_tokens < ?", (tag, acked)).fetchone()[0]
        finally:
            conn.close()
        figures.events_lost += acked - stored
    figures.judged_damaged = len(list(tmp.glob("telemetry.db.corrupt-*")))
    return figures

"""kill -9 a process that commits to SQLite through cache/safedb.py, many times; print the figures.

    .venv/bin/python benchmarks/kill9_sqlite.py --runs 200

Each run starts a writer that commits batches of 50 rows in WAL mode and prints
the running total after each commit, kills it with SIGKILL after a random delay
(0.05-0.6 s), then checks the file: `PRAGMA integrity_check`, and that every
acknowledged row is there. See docs/robustness.md.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.unit.test_safedb import kill_minus_9_runs  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.db"
        t0 = time.perf_counter()
        result = kill_minus_9_runs(path, args.runs, seed=args.seed)
        import sqlite3

        rows = sqlite3.connect(path).execute("SELECT count(*) FROM events").fetchone()[0]
        damaged = len(list(Path(tmp).glob("events.db.corrupt-*")))
    print(f"kill -9: {result['runs']} runs, {rows} rows committed in all, {result['lost']} acknowledged rows lost, "
          f"{result['integrity_failures']} integrity failures, {damaged} files judged damaged, "
          f"{time.perf_counter() - t0:.0f} s")
    return 0 if result["lost"] == 0 and result["integrity_failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
